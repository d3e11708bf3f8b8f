package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// How many cards a roadmap column shows: the done columns show what shipped
// most recently, the others the first cards in staff order.
const (
	RoadmapColumnLimit = 50
	RoadmapDoneLimit   = 20
)

// RoadmapColumn is one status flagged on_roadmap with its cards.
type RoadmapColumn struct {
	Status Status
	Cards  []Idea
	More   bool // the column holds more cards than are shown
}

// Ordered reports whether staff order this column by hand; done columns are
// ordered by when each idea shipped.
func (col RoadmapColumn) Ordered() bool { return col.Status.Category != CategoryDone }

// RoadmapMoved is the payload of EventRoadmapMoved: a card's place in its
// column (counting from 1) before and after staff moved it.
type RoadmapMoved struct {
	Status string `json:"status"`
	From   int    `json:"from"`
	To     int    `json:"to"`
}

// Roadmap returns one column per status on the roadmap, in status order,
// with the cards the viewer may see. Each column is one range of an index.
// A card holds only what the roadmap shows of an idea: its title, slug,
// votes, board, status, response and last change.
func Roadmap(ctx context.Context, db *DB, viewer *User) ([]RoadmapColumn, error) {
	var statuses []Status
	err := db.bun.NewSelect().Model(&statuses).Where("on_roadmap = ?", true).Order("position", "id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("roadmap statuses: %w", err)
	}
	// The boards are few: read once, they name the cards' boards and the
	// private ones the viewer may not see, without a join per card.
	var boards []Board
	if err := db.bun.NewSelect().Model(&boards).Scan(ctx); err != nil {
		return nil, fmt.Errorf("roadmap boards: %w", err)
	}
	var private []int64
	if !viewer.IsStaff() {
		for _, b := range boards {
			if b.IsPrivate {
				private = append(private, b.ID)
			}
		}
	}
	cols := make([]RoadmapColumn, len(statuses))
	for i, st := range statuses {
		col := RoadmapColumn{Status: st}
		limit := RoadmapColumnLimit
		if !col.Ordered() {
			limit = RoadmapDoneLimit
		}
		sel := db.bun.NewSelect().Model(&col.Cards).
			Column("id", "board_id", "title", "slug", "status_id", "votes_count", "response_html", "updated_at").
			Where("idea.status_id = ?", st.ID).
			Where("idea.hidden_at IS NULL").Where("idea.merged_into_id IS NULL").
			Limit(int64(limit + 1))
		if len(private) > 0 {
			sel = sel.Where("idea.board_id NOT IN (?)", bun.List(private))
		}
		if col.Ordered() {
			sel = sel.OrderExpr("idea.roadmap_position, idea.id")
		} else {
			sel = sel.OrderExpr("idea.updated_at DESC, idea.id DESC")
		}
		if err := sel.Scan(ctx); err != nil {
			return nil, fmt.Errorf("roadmap column %s: %w", st.Slug, err)
		}
		if len(col.Cards) > limit {
			col.Cards, col.More = col.Cards[:limit], true
		}
		attachBoardsAndStatuses(col.Cards, boards, statuses[i:i+1])
		cols[i] = col
	}
	return cols, nil
}

// hiddenBoardsFor lists the boards whose ideas the viewer may not see.
func hiddenBoardsFor(ctx context.Context, db *DB, viewer *User) ([]int64, error) {
	if viewer.IsStaff() {
		return nil, nil
	}
	return privateBoardIDs(ctx, db.bun)
}

// RoadmapMove says where a card goes: one place up or down its column, or
// into the column of a status (before another card, or at the end).
type RoadmapMove struct {
	Direction string // "up" or "down"
	Status    string // slug of a roadmap status, when Direction is empty
	BeforeID  int64  // with Status: the card to go before; 0 for the end
}

// MoveRoadmapCard moves an idea on the roadmap on behalf of a staff member.
// A move within a column renumbers that column and records
// EventRoadmapMoved; a move to another column is a status change (with its
// EventStatusChanged) that puts the card at the end of the column, or before
// the card named.
func MoveRoadmapCard(ctx context.Context, db *DB, ideaID int64, actor *User, m RoadmapMove) (*Idea, error) {
	if !actor.IsStaff() {
		return nil, fmt.Errorf("move idea %d on the roadmap: %w", ideaID, ErrForbidden)
	}
	m.Direction, m.Status = strings.TrimSpace(m.Direction), strings.TrimSpace(m.Status)
	var to *Status
	switch {
	case m.Direction == "up" || m.Direction == "down":
	case m.Direction != "":
		return nil, &ValidationError{Fields: map[string]string{"direction": "Move a card up or down."}}
	case m.Status == "":
		return nil, &ValidationError{Fields: map[string]string{"status": "Choose a roadmap column."}}
	default:
		st, err := StatusBySlug(ctx, db, m.Status)
		if errors.Is(err, ErrNotFound) || err == nil && !st.OnRoadmap {
			return nil, &ValidationError{Fields: map[string]string{"status": "Choose one of the roadmap's columns."}}
		}
		if err != nil {
			return nil, err
		}
		to = st
	}
	err := db.inTx(ctx, func(tx bun.Tx) error {
		idea, err := lockIdea(ctx, db, tx, ideaID)
		if err != nil {
			return err
		}
		if idea.HiddenAt != nil || idea.MergedIntoID != nil {
			return &ValidationError{Fields: map[string]string{"idea": "Hidden and merged ideas are not on the roadmap."}}
		}
		now := db.Now()
		if to == nil {
			if !idea.Status.OnRoadmap || idea.Status.Category == CategoryDone {
				return &ValidationError{Fields: map[string]string{"idea": "Only cards in the planned and in-progress columns are ordered by hand."}}
			}
			return shiftCard(ctx, tx, now, idea, m.Direction, actor)
		}
		if idea.StatusID != to.ID {
			if err := changeStatusTx(ctx, tx, now, idea, to, actor, ""); err != nil {
				return err
			}
			if m.BeforeID == 0 || to.Category == CategoryDone {
				return nil
			}
			_, _, err := placeCard(ctx, tx, idea, m.BeforeID)
			return err
		}
		if to.Category == CategoryDone {
			return nil
		}
		from, at, err := placeCard(ctx, tx, idea, m.BeforeID)
		if err != nil || from == at {
			return err
		}
		return recordEvent(ctx, tx, now, EventRoadmapMoved, idea, actor.ID, RoadmapMoved{Status: to.Slug, From: from, To: at})
	})
	if err != nil {
		return nil, fmt.Errorf("move idea %d on the roadmap: %w", ideaID, err)
	}
	return IdeaByID(ctx, db, ideaID, actor)
}

// columnCard is a card's place in its column.
type columnCard struct {
	ID       int64   `bun:"id"`
	Position float64 `bun:"roadmap_position"`
}

// columnOf lists a roadmap column's cards in order (ideas_roadmap_idx).
func columnOf(ctx context.Context, tx bun.Tx, statusID int64) ([]columnCard, error) {
	var cards []columnCard
	err := tx.NewSelect().Table("ideas").Column("id", "roadmap_position").
		Where("status_id = ?", statusID).
		Where("hidden_at IS NULL").Where("merged_into_id IS NULL").
		OrderExpr("roadmap_position, id").Scan(ctx, &cards)
	if err != nil {
		return nil, fmt.Errorf("load roadmap column: %w", err)
	}
	return cards, nil
}

// renumber stores positions 1..n for the column's new order, writing only
// the cards whose position changes (a swap of neighbours in a numbered
// column writes two rows).
func renumber(ctx context.Context, tx bun.Tx, cards []columnCard) error {
	for i, c := range cards {
		want := float64(i + 1)
		if c.Position == want {
			continue
		}
		if _, err := tx.NewUpdate().Table("ideas").Set("roadmap_position = ?", want).Where("id = ?", c.ID).Exec(ctx); err != nil {
			return fmt.Errorf("order roadmap column: %w", err)
		}
	}
	return nil
}

func indexOf(cards []columnCard, id int64) int {
	for i, c := range cards {
		if c.ID == id {
			return i
		}
	}
	return -1
}

// shiftCard moves a card one place up or down its column; at either end it
// stays put.
func shiftCard(ctx context.Context, tx bun.Tx, now time.Time, idea *Idea, direction string, actor *User) error {
	cards, err := columnOf(ctx, tx, idea.StatusID)
	if err != nil {
		return err
	}
	i := indexOf(cards, idea.ID)
	j := i - 1
	if direction == "down" {
		j = i + 1
	}
	if i < 0 || j < 0 || j >= len(cards) {
		return nil
	}
	cards[i], cards[j] = cards[j], cards[i]
	if err := renumber(ctx, tx, cards); err != nil {
		return err
	}
	return recordEvent(ctx, tx, now, EventRoadmapMoved, idea, actor.ID, RoadmapMoved{Status: idea.Status.Slug, From: i + 1, To: j + 1})
}

// placeCard puts a card before another of the same column, or at its end
// when before is 0, and returns its places (from 1) before and after.
func placeCard(ctx context.Context, tx bun.Tx, idea *Idea, before int64) (from, to int, err error) {
	cards, err := columnOf(ctx, tx, idea.StatusID)
	if err != nil {
		return 0, 0, err
	}
	i := indexOf(cards, idea.ID)
	if i < 0 {
		return 0, 0, fmt.Errorf("idea %d: %w", idea.ID, ErrNotFound)
	}
	if before == idea.ID {
		return i + 1, i + 1, nil
	}
	moving := cards[i]
	rest := append(cards[:i:i], cards[i+1:]...)
	at := len(rest)
	if before != 0 {
		if at = indexOf(rest, before); at < 0 {
			return 0, 0, &ValidationError{Fields: map[string]string{"before": "That card is not in this column."}}
		}
	}
	order := make([]columnCard, 0, len(cards))
	order = append(order, rest[:at]...)
	order = append(order, moving)
	order = append(order, rest[at:]...)
	if at == i {
		return i + 1, i + 1, nil
	}
	return i + 1, at + 1, renumber(ctx, tx, order)
}

// ChangelogQuery selects a page of the changelog.
type ChangelogQuery struct {
	After  string // cursor from a previous page's Next
	Limit  int    // default 20, at most 100
	Viewer *User
}

// Changelog lists the ideas that reached a done status, most recently
// changed first, with their responses: one range of ideas_status_updated_idx
// per done status, keyset-paginated.
func Changelog(ctx context.Context, db *DB, q ChangelogQuery) (IdeaPage, error) {
	if q.Limit <= 0 || q.Limit > 100 {
		q.Limit = 20
	}
	var done []int64
	if err := db.bun.NewSelect().Table("statuses").Column("id").Where("category = ?", CategoryDone).Scan(ctx, &done); err != nil {
		return IdeaPage{}, fmt.Errorf("changelog statuses: %w", err)
	}
	if len(done) == 0 {
		return IdeaPage{}, nil
	}
	private, err := hiddenBoardsFor(ctx, db, q.Viewer)
	if err != nil {
		return IdeaPage{}, fmt.Errorf("changelog: %w", err)
	}
	var ideas []Idea
	sel := db.bun.NewSelect().Model(&ideas).
		Relation("Board").Relation("Status").Relation("ResponseAuthor").
		Where("idea.status_id IN (?)", bun.List(done)).
		Where("idea.hidden_at IS NULL").Where("idea.merged_into_id IS NULL").
		OrderExpr("idea.updated_at DESC, idea.id DESC").
		Limit(int64(q.Limit + 1))
	if len(private) > 0 {
		sel = sel.Where("idea.board_id NOT IN (?)", bun.List(private))
	}
	if q.After != "" {
		val, id, ok := decodeCursor(q.After)
		at, err := time.Parse(time.RFC3339Nano, val)
		if !ok || err != nil {
			return IdeaPage{}, &ValidationError{Fields: map[string]string{"after": "is not a valid page cursor"}}
		}
		sel = sel.Where("(idea.updated_at, idea.id) < (?, ?)", at.UTC(), id)
	}
	if err := sel.Scan(ctx); err != nil {
		return IdeaPage{}, fmt.Errorf("changelog: %w", mapErr(err))
	}
	page := IdeaPage{Ideas: ideas}
	if len(ideas) > q.Limit {
		page.Ideas = ideas[:q.Limit]
		last := page.Ideas[q.Limit-1]
		page.Next = encodeCursor(last.UpdatedAt.UTC().Format(time.RFC3339Nano), last.ID)
	}
	return page, nil
}
