package models

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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

// Limits on what an admin types for a board.
const (
	BoardNameMinRunes        = 2
	BoardNameMaxRunes        = 80
	BoardSlugMaxLen          = 80
	BoardDescriptionMaxRunes = 500
	BoardPositionMax         = 9999
)

// boardSlugPattern is what a board's slug may be: lower-case letters, digits
// and single dashes between them, safe in any URL as it stands.
var boardSlugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// BoardInput is a board as an admin types it. An empty Slug is derived from
// the name. Position is as typed: blank puts a new board last and leaves an
// edited one where it is.
type BoardInput struct {
	Name        string
	Slug        string
	Description string
	IsPrivate   bool
	Position    string
}

// BoardPayload is the payload of EventBoardCreated and EventBoardUpdated:
// the board as it now is, and which fields an update changed.
type BoardPayload struct {
	Name      string   `json:"name"`
	Slug      string   `json:"slug"`
	IsPrivate bool     `json:"is_private"`
	Changed   []string `json:"changed,omitempty"`
}

// validate cleans the input and checks it, including that the slug is
// free (ignoring the board being edited, id).
func (in *BoardInput) validate(ctx context.Context, tx bun.IDB, id int64) (position int, hasPosition bool, err error) {
	ve := &ValidationError{}
	in.Name = cleanLine(in.Name)
	in.Description = cleanText(in.Description)
	in.Slug = strings.ToLower(strings.TrimSpace(in.Slug))
	switch l := utf8.RuneCountInString(in.Name); {
	case l == 0:
		ve.Add("name", "Give the board a name.")
	case l < BoardNameMinRunes:
		ve.Add("name", fmt.Sprintf("The name needs at least %d characters.", BoardNameMinRunes))
	case l > BoardNameMaxRunes:
		ve.Add("name", fmt.Sprintf("Keep the name to %d characters or fewer (it has %d).", BoardNameMaxRunes, l))
	}
	typed := in.Slug != ""
	if !typed && ve.Fields["name"] == "" {
		in.Slug = Slugify(in.Name)
	}
	switch {
	case in.Slug == "":
	case len(in.Slug) > BoardSlugMaxLen:
		ve.Add("slug", fmt.Sprintf("Keep the slug to %d characters or fewer.", BoardSlugMaxLen))
	case !boardSlugPattern.MatchString(in.Slug):
		if typed {
			ve.Add("slug", "Use only lower-case letters a–z, digits and single dashes between them.")
		} else {
			ve.Add("slug", "The name does not make a usable slug: type one with lower-case letters a–z, digits and dashes.")
		}
	default:
		n, err := tx.NewSelect().Table("boards").Where("slug = ?", in.Slug).Where("id <> ?", id).Count(ctx)
		if err != nil {
			return 0, false, fmt.Errorf("check slug: %w", mapErr(err))
		}
		if n > 0 {
			ve.Add("slug", fmt.Sprintf("Another board already uses %q.", in.Slug))
		}
	}
	if l := utf8.RuneCountInString(in.Description); l > BoardDescriptionMaxRunes {
		ve.Add("description", fmt.Sprintf("Keep the description to %d characters or fewer (it has %d).", BoardDescriptionMaxRunes, l))
	}
	if p := strings.TrimSpace(in.Position); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > BoardPositionMax {
			ve.Add("position", fmt.Sprintf("Use a whole number from 0 to %d.", BoardPositionMax))
		}
		position, hasPosition = n, true
	}
	return position, hasPosition, ve.Err()
}

// slugTaken turns a unique-key refusal on the slug (two admins racing for
// one slug) into the message validation would have given.
func slugTaken(err error, slug string) error {
	if errors.Is(mapErr(err), ErrConflict) {
		ve := &ValidationError{}
		ve.Add("slug", fmt.Sprintf("Another board already uses %q.", slug))
		return ve
	}
	return err
}

// CreateBoard adds a board, last in order unless a position is given, and
// records EventBoardCreated. Invalid input is a *ValidationError.
func CreateBoard(ctx context.Context, db *DB, in BoardInput, actor *User) (*Board, error) {
	if !actor.IsAdmin() {
		return nil, fmt.Errorf("create board: %w", ErrForbidden)
	}
	var b *Board
	err := db.inTx(ctx, func(tx bun.Tx) error {
		pos, hasPos, err := in.validate(ctx, tx, 0)
		if err != nil {
			return err
		}
		if !hasPos {
			if err := tx.NewSelect().Table("boards").ColumnExpr("COALESCE(max(position), 0) + 1").Scan(ctx, &pos); err != nil {
				return fmt.Errorf("last position: %w", mapErr(err))
			}
		}
		now := db.Now()
		b = &Board{Slug: in.Slug, Name: in.Name, Description: in.Description, IsPrivate: in.IsPrivate, Position: pos, CreatedAt: now}
		if _, err := tx.NewInsert().Model(b).Exec(ctx); err != nil {
			return slugTaken(err, in.Slug)
		}
		return recordBoardEvent(ctx, tx, now, EventBoardCreated, b, actor.ID, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("create board: %w", err)
	}
	return b, nil
}

// UpdateBoard changes a board. When anything changed it records
// EventBoardUpdated (board_id set, no idea), so every feed that might show
// the board's ideas gets a new version: making a board private takes its
// ideas out of the feeds at once, without an event per idea. Invalid input
// is a *ValidationError; an unknown board is ErrNotFound.
func UpdateBoard(ctx context.Context, db *DB, id int64, in BoardInput, actor *User) (*Board, error) {
	if !actor.IsAdmin() {
		return nil, fmt.Errorf("update board %d: %w", id, ErrForbidden)
	}
	var b *Board
	err := db.inTx(ctx, func(tx bun.Tx) error {
		b = new(Board)
		if err := tx.NewSelect().Model(b).Where("id = ?", id).Scan(ctx); err != nil {
			return mapErr(err)
		}
		pos, hasPos, err := in.validate(ctx, tx, id)
		if err != nil {
			return err
		}
		if !hasPos {
			pos = b.Position
		}
		var changed []string
		for _, f := range []struct {
			name string
			same bool
		}{
			{"name", b.Name == in.Name},
			{"slug", b.Slug == in.Slug},
			{"description", b.Description == in.Description},
			{"is_private", b.IsPrivate == in.IsPrivate},
			{"position", b.Position == pos},
		} {
			if !f.same {
				changed = append(changed, f.name)
			}
		}
		if len(changed) == 0 {
			return nil
		}
		b.Name, b.Slug, b.Description, b.IsPrivate, b.Position = in.Name, in.Slug, in.Description, in.IsPrivate, pos
		if _, err := tx.NewUpdate().Model(b).Column("name", "slug", "description", "is_private", "position").WherePK().Exec(ctx); err != nil {
			return slugTaken(err, in.Slug)
		}
		return recordBoardEvent(ctx, tx, db.Now(), EventBoardUpdated, b, actor.ID, changed)
	})
	if err != nil {
		return nil, fmt.Errorf("update board %d: %w", id, err)
	}
	return b, nil
}

// BoardSummary is a board with the number of ideas listed on it.
type BoardSummary struct {
	Board `bun:",extend"`

	IdeasCount int `bun:"ideas_count,scanonly"`
}

// BoardSummaries lists every board, private ones too, in order, each with
// its count of listed ideas (not hidden, not merged away), in one grouped
// query. It is for admins.
func BoardSummaries(ctx context.Context, db *DB) ([]BoardSummary, error) {
	var list []BoardSummary
	err := db.bun.NewSelect().Model(&list).
		ColumnExpr("board.*").
		ColumnExpr("count(i.id) AS ideas_count").
		Join("LEFT JOIN ideas AS i ON i.board_id = board.id AND i.hidden_at IS NULL AND i.merged_into_id IS NULL").
		GroupExpr("board.id").
		OrderExpr("board.position, board.id").
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("board summaries: %w", mapErr(err))
	}
	return list, nil
}
