package migrations

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/cluetrain/cluetrain/app/markdown"
)

// Lists show a stored plain-text summary of each idea's sanitized body, so
// that nothing the sanitizer removed can reappear in them and no list has
// to read or render bodies. Existing ideas get theirs from body_html.
func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			has, err := hasColumn(ctx, tx, "ideas", "summary")
			if err != nil {
				return err
			}
			if !has {
				if _, err := tx.ExecContext(ctx, "ALTER TABLE ideas ADD COLUMN summary TEXT NOT NULL DEFAULT ''"); err != nil {
					return fmt.Errorf("add ideas.summary: %w", err)
				}
			}
			return backfillIdeaSummaries(ctx, tx)
		})
	}, func(ctx context.Context, db *bun.DB) error {
		_, err := db.ExecContext(ctx, "ALTER TABLE ideas DROP COLUMN summary")
		return err
	})
}

// summaryBatch is how many ideas the backfill reads at a time.
const summaryBatch = 500

// backfillIdeaSummaries fills in the summary of every idea that has a body
// but no summary yet, a batch at a time in id order.
func backfillIdeaSummaries(ctx context.Context, tx bun.Tx) error {
	var after int64
	for {
		var rows []struct {
			ID       int64  `bun:"id"`
			BodyHTML string `bun:"body_html"`
		}
		err := tx.NewSelect().Table("ideas").Column("id", "body_html").
			Where("id > ?", after).Where("summary = ''").Where("body_html <> ''").
			OrderExpr("id").Limit(summaryBatch).Scan(ctx, &rows)
		if err != nil {
			return fmt.Errorf("read ideas after %d: %w", after, err)
		}
		for _, r := range rows {
			if _, err := tx.ExecContext(ctx, "UPDATE ideas SET summary = ? WHERE id = ?",
				markdown.Summary(r.BodyHTML), r.ID); err != nil {
				return fmt.Errorf("summarize idea %d: %w", r.ID, err)
			}
			after = r.ID
		}
		if len(rows) < summaryBatch {
			return nil
		}
	}
}

// hasColumn reports whether table has the column, on either dialect.
func hasColumn(ctx context.Context, tx bun.Tx, table, column string) (bool, error) {
	q := "SELECT count(*) FROM pragma_table_info(?) WHERE name = ?"
	if tx.Dialect().Name() == dialect.PG {
		q = "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? AND column_name = ?"
	}
	var n int
	if err := tx.QueryRowContext(ctx, q, table, column).Scan(&n); err != nil {
		return false, fmt.Errorf("look for %s.%s: %w", table, column, err)
	}
	return n > 0, nil
}
