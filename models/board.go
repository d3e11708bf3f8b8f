package models

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Board groups ideas; a private board is seen by staff only.
type Board struct {
	bun.BaseModel `bun:"table:boards"`

	ID          int64     `bun:"id,pk,autoincrement"`
	Slug        string    `bun:"slug"`
	Name        string    `bun:"name"`
	Description string    `bun:"description"`
	IsPrivate   bool      `bun:"is_private"`
	Position    int       `bun:"position"`
	CreatedAt   time.Time `bun:"created_at"`
}

// VisibleTo reports whether the user may see the board and its ideas.
func (b *Board) VisibleTo(u *User) bool { return !b.IsPrivate || u.IsStaff() }

// Boards lists the boards the user may see, in order.
func Boards(ctx context.Context, db *DB, viewer *User) ([]Board, error) {
	var boards []Board
	q := db.bun.NewSelect().Model(&boards).Order("position", "id")
	if !viewer.IsStaff() {
		q = q.Where("is_private = ?", false)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list boards: %w", err)
	}
	return boards, nil
}

// BoardBySlug loads a board the viewer may see.
func BoardBySlug(ctx context.Context, db *DB, slug string, viewer *User) (*Board, error) {
	b := new(Board)
	if err := db.bun.NewSelect().Model(b).Where("slug = ?", slug).Scan(ctx); err != nil {
		return nil, fmt.Errorf("board %q: %w", slug, mapErr(err))
	}
	if !b.VisibleTo(viewer) {
		return nil, fmt.Errorf("board %q: %w", slug, ErrNotFound)
	}
	return b, nil
}

// BoardByID loads a board the viewer may see.
func BoardByID(ctx context.Context, db *DB, id int64, viewer *User) (*Board, error) {
	b := new(Board)
	if err := db.bun.NewSelect().Model(b).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("board %d: %w", id, mapErr(err))
	}
	if !b.VisibleTo(viewer) {
		return nil, fmt.Errorf("board %d: %w", id, ErrNotFound)
	}
	return b, nil
}

// privateBoardIDs lists the private boards; there are few, and list queries
// exclude them with NOT IN so the sort index still serves the scan.
func privateBoardIDs(ctx context.Context, db bun.IDB) ([]int64, error) {
	var ids []int64
	err := db.NewSelect().Table("boards").Column("id").Where("is_private = ?", true).Scan(ctx, &ids)
	return ids, err
}
