package models

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// Status categories.
const (
	CategoryOpen   = "open"
	CategoryActive = "active"
	CategoryDone   = "done"
	CategoryClosed = "closed"
)

// Status is where an idea stands.
type Status struct {
	bun.BaseModel `bun:"table:statuses"`

	ID        int64  `bun:"id,pk,autoincrement"`
	Slug      string `bun:"slug"`
	Name      string `bun:"name"`
	Color     string `bun:"color"`
	Category  string `bun:"category"`
	OnRoadmap bool   `bun:"on_roadmap"`
	Position  int    `bun:"position"`
}

// TakesVotes reports whether ideas in this status accept new votes.
func (s *Status) TakesVotes() bool {
	return s.Category != CategoryDone && s.Category != CategoryClosed
}

// Statuses lists every status in order.
func Statuses(ctx context.Context, db *DB) ([]Status, error) {
	var ss []Status
	if err := db.bun.NewSelect().Model(&ss).Order("position", "id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list statuses: %w", err)
	}
	return ss, nil
}

// StatusBySlug loads one status.
func StatusBySlug(ctx context.Context, db *DB, slug string) (*Status, error) {
	s := new(Status)
	if err := db.bun.NewSelect().Model(s).Where("slug = ?", slug).Scan(ctx); err != nil {
		return nil, fmt.Errorf("status %q: %w", slug, mapErr(err))
	}
	return s, nil
}
