package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Feeds, each a view of the events table.
const (
	FeedRoadmap   = "roadmap"   // status changes onto, within or off the roadmap, and roadmap moves
	FeedIdeas     = "ideas"     // new ideas, optionally of one board and one status
	FeedChangelog = "changelog" // status changes into a done status
	FeedBoard     = "board"     // everything on one board
	FeedIdea      = "idea"      // one idea's timeline
)

// FeedLimit is how many items a feed carries: the newest ones.
const FeedLimit = 50

// FeedQuery names one feed. Board is a board slug (the board of FeedBoard,
// or a filter of FeedIdeas), Status a status slug (a filter of FeedIdeas),
// IdeaID the idea of FeedIdea.
type FeedQuery struct {
	Feed   string
	Board  string
	Status string
	IdeaID int64
	Limit  int // FeedLimit when 0
}

// FeedItem is one public event, with what a feed needs to show it.
type FeedItem struct {
	EventID   int64
	Kind      string
	At        time.Time
	IdeaID    int64
	IdeaTitle string
	IdeaSlug  string
	BoardName string
	Actor     string // the actor's display name; "" when unknown

	// Status changes and roadmap moves.
	From, To         string // status slugs
	FromName, ToName string
	Shipped          bool // the new status is in the done category

	// HTML is sanitized content: the idea's body for a new idea, the public
	// response for a status change, the comment's body for a comment.
	HTML string

	CommentID    int64
	StaffComment bool
}

// FeedStamp says how fresh a feed is: the newest public event in its scope
// (an idea's feed: the newest event of the idea, which is public). Every kind
// of event counts, including ones the feed does not show (a comment hidden,
// an idea merged, a board made private), so that anything that changes a
// feed changes its version; but only events whose effect the public could
// see, so that a feed's ETag, Last-Modified and updated time never tell when
// something happened on a private board or to a hidden idea. Whether an
// event is public is decided as it is written (see the migration that adds
// events.is_public): hiding an idea, showing it again and changing a board's
// privacy are public, and each is newer than every event whose visibility
// it changed.
type FeedStamp struct {
	EventID int64     // 0 when the scope has no events
	At      time.Time // the event's time; zero when EventID is 0
}

// feedKinds are the event kinds each feed shows; anything else (merges,
// moderation, kinds added later) is never an item.
var feedKinds = map[string][]string{
	FeedRoadmap:   {EventStatusChanged, EventRoadmapMoved},
	FeedIdeas:     {EventIdeaCreated},
	FeedChangelog: {EventStatusChanged},
	FeedBoard:     {EventIdeaCreated, EventStatusChanged, EventCommented, EventRoadmapMoved},
	FeedIdea:      {EventIdeaCreated, EventStatusChanged, EventCommented},
}

func (q FeedQuery) check() error {
	if _, ok := feedKinds[q.Feed]; !ok {
		return fmt.Errorf("feed %q: %w", q.Feed, ErrNotFound)
	}
	if q.Feed == FeedBoard && q.Board == "" || q.Feed == FeedIdea && q.IdeaID <= 0 {
		return fmt.Errorf("feed %s: %w", q.Feed, ErrNotFound)
	}
	return nil
}

// FeedVersion returns the stamp of a feed in one indexed query, which
// also checks that the feed's board, status or idea exists and is public:
// ErrNotFound if not. It is what a conditional GET costs.
func FeedVersion(ctx context.Context, db *DB, q FeedQuery) (FeedStamp, error) {
	if err := q.check(); err != nil {
		return FeedStamp{}, err
	}
	var (
		conds   []string
		args    []any
		newest  = "SELECT max(id) FROM events WHERE is_public = ?"
		newArgs = []any{true}
	)
	publicBoard := "EXISTS (SELECT 1 FROM boards WHERE slug = ? AND is_private = ?)"
	boardEvents := "SELECT max(id) FROM events WHERE board_id = (SELECT id FROM boards WHERE slug = ?) AND is_public = ?"
	switch q.Feed {
	case FeedBoard:
		conds, args = append(conds, publicBoard), append(args, q.Board, false)
		newest, newArgs = boardEvents, []any{q.Board, true}
	case FeedIdea:
		conds = append(conds, "EXISTS (SELECT 1 FROM ideas AS i JOIN boards AS b ON b.id = i.board_id"+
			" WHERE i.id = ? AND i.hidden_at IS NULL AND i.merged_into_id IS NULL AND b.is_private = ?)")
		args = append(args, q.IdeaID, false)
		// The idea is public (or the feed is not found), and so is its
		// whole timeline: what happened to it while hidden or on a private
		// board now shows on its page. Counting those events also renews
		// the version when the idea comes back changed.
		newest, newArgs = "SELECT max(id) FROM events WHERE idea_id = ?", []any{q.IdeaID}
	case FeedIdeas:
		if q.Board != "" {
			conds, args = append(conds, publicBoard), append(args, q.Board, false)
			newest, newArgs = boardEvents, []any{q.Board, true}
		}
		if q.Status != "" {
			conds, args = append(conds, "EXISTS (SELECT 1 FROM statuses WHERE slug = ?)"), append(args, q.Status)
		}
	}
	where := "1 = 1"
	for _, c := range conds {
		where += " AND " + c
	}
	var row struct {
		ID        sql.NullInt64 `bun:"id"`
		CreatedAt bun.NullTime  `bun:"created_at"`
	}
	query := "SELECT e.id, e.created_at FROM (SELECT 1 AS one) AS scope" +
		" LEFT JOIN events AS e ON e.id = (" + newest + ") WHERE " + where
	err := db.bun.NewRaw(query, append(newArgs, args...)...).Scan(ctx, &row)
	if err != nil {
		return FeedStamp{}, fmt.Errorf("feed %s version: %w", q.Feed, mapErr(err))
	}
	v := FeedStamp{EventID: row.ID.Int64}
	if row.ID.Valid {
		v.At = row.CreatedAt.UTC()
	}
	return v, nil
}

// feedRow is one event joined with its idea, board, actor and comment.
type feedRow struct {
	ID           int64          `bun:"id"`
	Kind         string         `bun:"kind"`
	Payload      string         `bun:"payload"`
	CreatedAt    time.Time      `bun:"created_at"`
	IdeaID       int64          `bun:"idea_id"`
	IdeaTitle    string         `bun:"idea_title"`
	IdeaSlug     string         `bun:"idea_slug"`
	IdeaHTML     string         `bun:"idea_html"`
	BoardName    string         `bun:"board_name"`
	ActorName    sql.NullString `bun:"actor_name"`
	CommentID    sql.NullInt64  `bun:"comment_id"`
	CommentHTML  sql.NullString `bun:"comment_html"`
	CommentStaff sql.NullBool   `bun:"comment_staff"`
}

// FeedEvents returns a feed's newest public items, newest first. Only public
// items ever appear: events of ideas that are hidden, merged away or on a
// private board are left out, and so are comments that are hidden or gone.
// An unknown or private board, unknown status or non-public idea is
// ErrNotFound.
func FeedEvents(ctx context.Context, db *DB, q FeedQuery) ([]FeedItem, error) {
	if err := q.check(); err != nil {
		return nil, err
	}
	if q.Limit <= 0 || q.Limit > FeedLimit {
		q.Limit = FeedLimit
	}
	statuses, err := Statuses(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("feed %s: %w", q.Feed, err)
	}
	byslug := make(map[string]*Status, len(statuses))
	var roadmap, done []string
	for i := range statuses {
		s := &statuses[i]
		byslug[s.Slug] = s
		if s.OnRoadmap {
			roadmap = append(roadmap, s.Slug)
		}
		if s.Category == CategoryDone {
			done = append(done, s.Slug)
		}
	}

	commentID := "CAST(json_extract(e.payload, '$.comment_id') AS INTEGER)"
	fromSlug, toSlug := "json_extract(e.payload, '$.from')", "json_extract(e.payload, '$.to')"
	if db.pg {
		commentID = "CAST(e.payload::jsonb ->> 'comment_id' AS BIGINT)"
		fromSlug, toSlug = "(e.payload::jsonb ->> 'from')", "(e.payload::jsonb ->> 'to')"
	}

	var rows []feedRow
	sel := db.bun.NewSelect().TableExpr("events AS e").
		ColumnExpr("e.id, e.kind, e.payload, e.created_at, e.idea_id").
		ColumnExpr("i.title AS idea_title, i.slug AS idea_slug, i.body_html AS idea_html").
		ColumnExpr("b.name AS board_name, u.name AS actor_name").
		ColumnExpr("c.id AS comment_id, c.body_html AS comment_html, c.is_staff AS comment_staff").
		Join("JOIN ideas AS i ON i.id = e.idea_id").
		Join("JOIN boards AS b ON b.id = i.board_id").
		Join("LEFT JOIN users AS u ON u.id = e.actor_id").
		Join("LEFT JOIN comments AS c ON e.kind = ? AND c.id = "+commentID+" AND c.idea_id = e.idea_id", EventCommented).
		Where("e.kind IN (?)", bun.List(feedKinds[q.Feed])).
		Where("i.hidden_at IS NULL").
		Where("i.merged_into_id IS NULL").
		Where("b.is_private = ?", false).
		Where("(e.kind <> ? OR (c.id IS NOT NULL AND c.hidden_at IS NULL))", EventCommented).
		OrderExpr("e.id DESC").
		Limit(int64(q.Limit))

	switch q.Feed {
	case FeedRoadmap:
		if len(roadmap) == 0 {
			sel = sel.Where("e.kind = ?", EventRoadmapMoved)
		} else {
			sel = sel.Where("(e.kind = ? OR "+fromSlug+" IN (?) OR "+toSlug+" IN (?))",
				EventRoadmapMoved, bun.List(roadmap), bun.List(roadmap))
		}
	case FeedChangelog:
		if len(done) == 0 {
			return nil, nil
		}
		sel = sel.Where(toSlug+" IN (?)", bun.List(done))
	case FeedIdeas:
		if q.Board != "" {
			board, err := BoardBySlug(ctx, db, q.Board, nil)
			if err != nil {
				return nil, fmt.Errorf("feed %s: %w", q.Feed, err)
			}
			sel = sel.Where("e.board_id = ?", board.ID).Where("i.board_id = ?", board.ID)
		}
		if q.Status != "" {
			s, ok := byslug[q.Status]
			if !ok {
				return nil, fmt.Errorf("feed %s: status %q: %w", q.Feed, q.Status, ErrNotFound)
			}
			sel = sel.Where("i.status_id = ?", s.ID)
		}
	case FeedBoard:
		board, err := BoardBySlug(ctx, db, q.Board, nil)
		if err != nil {
			return nil, fmt.Errorf("feed %s: %w", q.Feed, err)
		}
		sel = sel.Where("e.board_id = ?", board.ID).Where("i.board_id = ?", board.ID)
	case FeedIdea:
		n, err := db.bun.NewSelect().TableExpr("ideas AS i").Join("JOIN boards AS b ON b.id = i.board_id").
			Where("i.id = ?", q.IdeaID).Where("i.hidden_at IS NULL").Where("i.merged_into_id IS NULL").
			Where("b.is_private = ?", false).Count(ctx)
		if err != nil {
			return nil, fmt.Errorf("feed %s: idea %d: %w", q.Feed, q.IdeaID, mapErr(err))
		}
		if n == 0 {
			return nil, fmt.Errorf("feed %s: idea %d: %w", q.Feed, q.IdeaID, ErrNotFound)
		}
		sel = sel.Where("e.idea_id = ?", q.IdeaID)
	}
	if err := sel.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("feed %s: %w", q.Feed, mapErr(err))
	}

	items := make([]FeedItem, 0, len(rows))
	for _, r := range rows {
		it := FeedItem{
			EventID:   r.ID,
			Kind:      r.Kind,
			At:        r.CreatedAt.UTC(),
			IdeaID:    r.IdeaID,
			IdeaTitle: r.IdeaTitle,
			IdeaSlug:  r.IdeaSlug,
			BoardName: r.BoardName,
			Actor:     r.ActorName.String,
		}
		switch r.Kind {
		case EventIdeaCreated:
			it.HTML = r.IdeaHTML
		case EventStatusChanged, EventRoadmapMoved:
			// A roadmap move may carry the same fields as a status change;
			// whatever else it carries is not shown.
			var sc StatusChange
			if err := json.Unmarshal([]byte(r.Payload), &sc); err != nil && r.Kind == EventStatusChanged {
				return nil, fmt.Errorf("feed %s: event %d payload: %w", q.Feed, r.ID, err)
			}
			it.From, it.To, it.ToName, it.HTML = sc.From, sc.To, sc.ToName, sc.ResponseHTML
			if s := byslug[sc.From]; s != nil {
				it.FromName = s.Name
			}
			if s := byslug[sc.To]; s != nil {
				it.Shipped = s.Category == CategoryDone
				if it.ToName == "" {
					it.ToName = s.Name
				}
			}
		case EventCommented:
			it.CommentID, it.HTML, it.StaffComment = r.CommentID.Int64, r.CommentHTML.String, r.CommentStaff.Bool
		}
		items = append(items, it)
	}
	return items, nil
}
