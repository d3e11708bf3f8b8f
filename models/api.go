package models

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Voter is one vote on an idea with who cast it, as staff see it.
type Voter struct {
	UserID     int64     `bun:"user_id"`
	Name       string    `bun:"name"`
	Email      *string   `bun:"email"`
	ExternalID *string   `bun:"external_id"`
	Company    string    `bun:"company"`
	Plan       string    `bun:"plan"`
	MRRCents   int64     `bun:"mrr_cents"`
	Importance string    `bun:"importance"`
	CreatedAt  time.Time `bun:"created_at"`
}

// IdeaVoters lists an idea's voters by user id, after the given id, one
// page at a time (the votes key serves the scan). It returns the id to
// continue after, or 0 on the last page. The caller checks the idea is
// visible.
func IdeaVoters(ctx context.Context, db *DB, ideaID, after int64, limit int) ([]Voter, int64, error) {
	var vs []Voter
	err := db.bun.NewSelect().TableExpr("votes AS v").Join("JOIN users AS u ON u.id = v.user_id").
		ColumnExpr("v.user_id, u.name, u.email, u.external_id, u.company, u.plan, u.mrr_cents, v.importance, v.created_at").
		Where("v.idea_id = ?", ideaID).Where("v.user_id > ?", after).
		OrderExpr("v.user_id").Limit(int64(limit+1)).Scan(ctx, &vs)
	if err != nil {
		return nil, 0, fmt.Errorf("voters of idea %d: %w", ideaID, mapErr(err))
	}
	if len(vs) > limit {
		vs = vs[:limit]
		return vs, vs[limit-1].UserID, nil
	}
	return vs, 0, nil
}

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
