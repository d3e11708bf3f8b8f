package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/cluetrain/cluetrain/app/markdown"
)

// Idea is a customer's suggestion.
type Idea struct {
	bun.BaseModel `bun:"table:ideas"`

	ID               int64      `bun:"id,pk,autoincrement"`
	BoardID          int64      `bun:"board_id"`
	AuthorID         int64      `bun:"author_id"`
	Title            string     `bun:"title"`
	Slug             string     `bun:"slug"`
	Body             string     `bun:"body"`
	BodyHTML         string     `bun:"body_html"`
	Summary          string     `bun:"summary"` // the start of BodyHTML as plain text
	StatusID         int64      `bun:"status_id"`
	VotesCount       int        `bun:"votes_count"`
	CommentsCount    int        `bun:"comments_count"`
	TrendScore       float64    `bun:"trend_score"`
	RevenueCents     int64      `bun:"revenue_cents"`  // its distinct voting companies' monthly revenue
	CriticalCount    int        `bun:"critical_count"` // votes that said "critical"
	RoadmapPosition  float64    `bun:"roadmap_position"`
	MergedIntoID     *int64     `bun:"merged_into_id"`
	Response         string     `bun:"response"`
	ResponseHTML     string     `bun:"response_html"`
	ResponseAuthorID *int64     `bun:"response_author_id"`
	RespondedAt      *time.Time `bun:"responded_at"`
	HiddenAt         *time.Time `bun:"hidden_at"`
	Moderation       string     `bun:"moderation"` // "", ModerationPending or ModerationDeclined
	CreatedAt        time.Time  `bun:"created_at"`
	UpdatedAt        time.Time  `bun:"updated_at"`
	LastActivityAt   time.Time  `bun:"last_activity_at"`

	Board          *Board  `bun:"rel:belongs-to,join:board_id=id"`
	Status         *Status `bun:"rel:belongs-to,join:status_id=id"`
	Author         *User   `bun:"rel:belongs-to,join:author_id=id"`
	ResponseAuthor *User   `bun:"rel:belongs-to,join:response_author_id=id"`

	// Voted is whether the viewer of a list has voted for the idea; filled
	// by ListIdeas for a signed-in viewer, not stored.
	Voted bool `bun:"-"`
}

// VisibleTo reports whether the viewer may see the idea. Board and Status
// must be loaded.
func (i *Idea) VisibleTo(u *User) bool {
	if i.Board != nil && !i.Board.VisibleTo(u) {
		return false
	}
	return i.HiddenAt == nil || u.IsStaff() || i.WaitingFor(u)
}

// WaitingFor reports whether the idea waits for approval and u is its
// author, who alone besides staff sees it meanwhile.
func (i *Idea) WaitingFor(u *User) bool {
	return i.Moderation == ModerationPending && u != nil && u.ID == i.AuthorID
}

// Public reports whether anyone at all may see the idea (feeds, sitemap).
func (i *Idea) Public() bool {
	return i.HiddenAt == nil && (i.Board == nil || !i.Board.IsPrivate)
}

// Excerpt is the start of the body as the reader sees it, in plain text of
// at most n runes (and a closing "…" when cut).
func (i *Idea) Excerpt(n int) string { return markdown.Truncate(i.Summary, n) }

// Slugify makes a URL-friendly slug from a title.
func Slugify(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			if b.Len() >= 80 {
				break
			}
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		return "idea"
	}
	return b.String()
}

// IdeaByID loads an idea with its board, status and authors, if the viewer
// may see it.
func IdeaByID(ctx context.Context, db *DB, id int64, viewer *User) (*Idea, error) {
	idea := new(Idea)
	err := db.bun.NewSelect().Model(idea).
		Relation("Board").Relation("Status").Relation("Author").Relation("ResponseAuthor").
		Where("idea.id = ?", id).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("idea %d: %w", id, mapErr(err))
	}
	if !idea.VisibleTo(viewer) {
		return nil, fmt.Errorf("idea %d: %w", id, ErrNotFound)
	}
	return idea, nil
}

// Limits on what a customer writes.
const (
	TitleMinRunes = 3
	TitleMaxRunes = 120
	BodyMaxRunes  = 10000
)

// NewIdea is what a customer submits to post an idea.
type NewIdea struct {
	Author *User
	Board  string // the board's slug
	Title  string
	Body   string
}

// validate checks the input and finds the board, which must exist and be
// open to the author.
func (n *NewIdea) validate(ctx context.Context, db bun.IDB) (*Board, error) {
	ve := &ValidationError{}
	n.Title = cleanLine(n.Title)
	n.Body = cleanText(n.Body)
	switch l := utf8.RuneCountInString(n.Title); {
	case l == 0:
		ve.Add("title", "Give your idea a title.")
	case l < TitleMinRunes:
		ve.Add("title", fmt.Sprintf("The title needs at least %d characters.", TitleMinRunes))
	case l > TitleMaxRunes:
		ve.Add("title", fmt.Sprintf("Keep the title to %d characters or fewer (it has %d).", TitleMaxRunes, l))
	}
	if l := utf8.RuneCountInString(n.Body); l > BodyMaxRunes {
		ve.Add("body", fmt.Sprintf("Keep the description to %d characters or fewer (it has %d).", BodyMaxRunes, l))
	}
	var board *Board
	if n.Board == "" {
		ve.Add("board", "Choose a board.")
	} else {
		b := new(Board)
		err := db.NewSelect().Model(b).Where("slug = ?", n.Board).Scan(ctx)
		switch {
		case err == nil && b.VisibleTo(n.Author):
			board = b
		case err == nil || errors.Is(mapErr(err), ErrNotFound):
			ve.Add("board", "Choose one of the boards listed.")
		default:
			return nil, fmt.Errorf("find board: %w", mapErr(err))
		}
	}
	return board, ve.Err()
}

// CreateIdea validates and stores a new idea in the default status, records
// its creation event and subscribes the author, all in one transaction.
func CreateIdea(ctx context.Context, db *DB, n NewIdea) (*Idea, error) {
	if !n.Author.CanWrite() {
		return nil, fmt.Errorf("create idea: %w", ErrForbidden)
	}
	var idea *Idea
	err := db.inTx(ctx, func(tx bun.Tx) error {
		board, err := n.validate(ctx, tx)
		if err != nil {
			return err
		}
		status := new(Status)
		if err := tx.NewSelect().Model(status).Where("category = ?", CategoryOpen).
			Order("position", "id").Limit(1).Scan(ctx); err != nil {
			return fmt.Errorf("default status: %w", mapErr(err))
		}
		now := db.Now()
		wait, err := mustWait(ctx, tx, now, n.Author)
		if err != nil {
			return err
		}
		bodyHTML := markdown.Render(n.Body)
		idea = &Idea{
			BoardID:        board.ID,
			AuthorID:       n.Author.ID,
			Title:          n.Title,
			Slug:           Slugify(n.Title),
			Body:           n.Body,
			BodyHTML:       bodyHTML,
			Summary:        markdown.Summary(bodyHTML),
			StatusID:       status.ID,
			TrendScore:     NoTrend,
			CreatedAt:      now,
			UpdatedAt:      now,
			LastActivityAt: now,
			Board:          board,
			Status:         status,
			Author:         n.Author,
		}
		if wait {
			// Hidden until staff approve it: every public surface
			// leaves it out as it leaves out any hidden idea.
			idea.Moderation, idea.HiddenAt = ModerationPending, &now
		}
		if _, err := tx.NewInsert().Model(idea).Exec(ctx); err != nil {
			return fmt.Errorf("insert idea: %w", err)
		}
		if err := recordEvent(ctx, tx, now, EventIdeaCreated, idea, n.Author.ID, map[string]any{"title": idea.Title}); err != nil {
			return err
		}
		return subscribe(ctx, tx, idea.ID, n.Author.ID, now)
	})
	if err != nil {
		return nil, fmt.Errorf("create idea: %w", err)
	}
	return idea, nil
}

// cleanText makes user text storable on both databases: valid UTF-8, no NUL
// bytes, Unix line ends, no surrounding blank space.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.TrimSpace(s)
}

// cleanLine is cleanText for one-line input: runs of white space, line
// breaks and control characters become one space.
func cleanLine(s string) string {
	s = cleanText(s)
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
}
