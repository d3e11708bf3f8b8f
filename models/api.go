package models

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// IdeaText is the long text a list leaves out.
type IdeaText struct {
	ID       int64  `bun:"id"`
	Body     string `bun:"body"`
	Response string `bun:"response"`
}

// IdeaTexts loads the bodies and responses of a page of ideas, by id.
func IdeaTexts(ctx context.Context, db *DB, ids []int64) (map[int64]IdeaText, error) {
	out := make(map[int64]IdeaText, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []IdeaText
	err := db.bun.NewSelect().Table("ideas").Column("id", "body", "response").
		Where("id IN (?)", bun.List(ids)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("idea texts: %w", mapErr(err))
	}
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, nil
}
