package migrations

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// A fresh portal has one public board to post to.
func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			_, err := tx.ExecContext(ctx,
				"INSERT INTO boards (slug, name, description, is_private, position, created_at) VALUES (?, ?, ?, ?, ?, ?)",
				"feature-requests", "Feature requests",
				"Ideas for making the product better. Vote for what matters to you.",
				false, 1, time.Now().UTC())
			return err
		})
	}, func(ctx context.Context, db *bun.DB) error {
		_, err := db.ExecContext(ctx, "DELETE FROM boards WHERE slug = ?", "feature-requests")
		return err
	})
}
