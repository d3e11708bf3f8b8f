package models

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Sorts a list of ideas can take.
const (
	SortTrending  = "trending"
	SortTop       = "top"
	SortNew       = "new"
	SortActive    = "active"
	SortDiscussed = "discussed"
	// SortRelevance orders search results by how well they match; it is
	// the default when searching and means nothing otherwise.
	SortRelevance = "relevance"
)

// Sorts lists the sorts of an unsearched list.
var Sorts = []string{SortTrending, SortTop, SortNew, SortActive, SortDiscussed}

// ValidSort reports whether s names a sort of an unsearched list.
func ValidSort(s string) bool {
	for _, k := range Sorts {
		if k == s {
			return true
		}
	}
	return false
}

// IdeaQuery selects a page of ideas.
type IdeaQuery struct {
	Sort     string // one of the Sort constants; trending when empty
	BoardID  int64  // 0: every board the viewer may see
	StatusID int64  // 0: every status
	Search   string // search text; "" lists without searching
	After    string // cursor from a previous page's Next
	Limit    int    // default 20, at most 100
	Viewer   *User

	// Boards (those the viewer may see) and Statuses (all), when the caller
	// has loaded them already, give each listed idea its Board and Status
	// in place of joining them in the list query. An idea whose board or
	// status is missing from them is listed without it.
	Boards   []Board
	Statuses []Status
}

// IdeaPage is one page of a list.
type IdeaPage struct {
	Ideas []Idea
	Next  string // cursor for the following page, "" on the last
}

// sortColumn is the column a sort orders by (then id, descending).
func sortColumn(sort string) string {
	switch sort {
	case SortTop:
		return "votes_count"
	case SortNew:
		return ""
	case SortActive:
		return "last_activity_at"
	case SortDiscussed:
		return "comments_count"
	default:
		return "trend_score"
	}
}

// ListIdeas returns one page of visible ideas, without the columns a list
// does not show (the body, BodyHTML and the response): its rows show the
// stored Summary. Every combination of sort and
// filter is served by an index on (filter, sort column, id); the cursor is
// the last row's (sort value, id), so each page is a range scan however deep.
//
// With Search set, it lists the ideas matching the text instead (see
// SearchIdeas). For a signed-in viewer each idea's Voted is filled in with
// one indexed query over the page's ids.
func ListIdeas(ctx context.Context, db *DB, q IdeaQuery) (IdeaPage, error) {
	if q.Limit <= 0 || q.Limit > 100 {
		q.Limit = 20
	}
	if strings.TrimSpace(q.Search) != "" {
		page, err := SearchIdeas(ctx, db, q)
		if err != nil {
			return page, err
		}
		return page, markVoted(ctx, db, q.Viewer, page.Ideas)
	}
	if !ValidSort(q.Sort) {
		q.Sort = SortTrending
	}
	col := sortColumn(q.Sort)

	var ideas []Idea
	sel := db.bun.NewSelect().Model(&ideas)
	if col == "" && q.BoardID == 0 && q.StatusID == 0 && !db.pg {
		// SQLite would walk the table in rowid order, stepping over hidden
		// and merged ideas; the partial index holds the listed ones only.
		sel = sel.ModelTableExpr(`"ideas" AS "idea" INDEXED BY ideas_new_idx`)
	}
	// A list shows the summary, neither the body nor the response: leave
	// the long text columns in the table.
	sel = sel.Column("id", "board_id", "author_id", "title", "slug", "summary", "status_id",
		"votes_count", "comments_count", "trend_score", "merged_into_id", "hidden_at",
		"created_at", "updated_at", "last_activity_at")
	lookup := q.Boards != nil && q.Statuses != nil
	if !lookup {
		sel = sel.Relation("Board").Relation("Status")
	}
	sel = sel.Where("idea.hidden_at IS NULL").
		Where("idea.merged_into_id IS NULL").
		Limit(int64(q.Limit + 1))
	if q.BoardID != 0 {
		sel = sel.Where("idea.board_id = ?", q.BoardID)
	}
	if !q.Viewer.IsStaff() {
		// Private boards are few: the statement excludes them itself, so
		// the check costs no round trip and reads the boards as of the
		// list, and the sort index still serves the scan.
		sel = sel.Where("idea.board_id NOT IN (SELECT id FROM boards WHERE is_private = ?)", true)
	}
	if q.StatusID != 0 {
		sel = sel.Where("idea.status_id = ?", q.StatusID)
	}
	if q.After != "" {
		val, id, ok := decodeCursor(q.After)
		if !ok {
			return IdeaPage{}, &ValidationError{Fields: map[string]string{"after": "is not a valid page cursor"}}
		}
		if col == "" {
			sel = sel.Where("idea.id < ?", id)
		} else {
			v, err := cursorValue(col, val)
			if err != nil {
				return IdeaPage{}, &ValidationError{Fields: map[string]string{"after": "is not a valid page cursor"}}
			}
			sel = sel.Where("(idea."+col+", idea.id) < (?, ?)", v, id)
		}
	}
	if col != "" {
		sel = sel.OrderExpr("idea." + col + " DESC")
	}
	sel = sel.OrderExpr("idea.id DESC")
	if err := sel.Scan(ctx); err != nil {
		return IdeaPage{}, fmt.Errorf("list ideas: %w", mapErr(err))
	}
	if lookup {
		attachBoardsAndStatuses(ideas, q.Boards, q.Statuses)
	}
	page := IdeaPage{Ideas: ideas}
	if len(ideas) > q.Limit {
		page.Ideas = ideas[:q.Limit]
		last := page.Ideas[q.Limit-1]
		page.Next = encodeCursor(cursorOf(col, &last), last.ID)
	}
	return page, markVoted(ctx, db, q.Viewer, page.Ideas)
}

// attachBoardsAndStatuses points each idea's Board and Status into the
// given slices.
func attachBoardsAndStatuses(ideas []Idea, boards []Board, statuses []Status) {
	for i := range ideas {
		for j := range boards {
			if boards[j].ID == ideas[i].BoardID {
				ideas[i].Board = &boards[j]
				break
			}
		}
		for j := range statuses {
			if statuses[j].ID == ideas[i].StatusID {
				ideas[i].Status = &statuses[j]
				break
			}
		}
	}
}

// markVoted sets Voted on the ideas the viewer has voted for.
func markVoted(ctx context.Context, db *DB, viewer *User, ideas []Idea) error {
	if viewer == nil || len(ideas) == 0 {
		return nil
	}
	ids := make([]int64, len(ideas))
	for i := range ideas {
		ids[i] = ideas[i].ID
	}
	voted, err := VotedIdeaIDs(ctx, db, viewer.ID, ids)
	if err != nil {
		return err
	}
	for i := range ideas {
		ideas[i].Voted = voted[ideas[i].ID]
	}
	return nil
}

func cursorOf(col string, i *Idea) string {
	switch col {
	case "votes_count":
		return strconv.Itoa(i.VotesCount)
	case "comments_count":
		return strconv.Itoa(i.CommentsCount)
	case "last_activity_at":
		return i.LastActivityAt.UTC().Format(time.RFC3339Nano)
	case "trend_score":
		return strconv.FormatFloat(i.TrendScore, 'g', -1, 64)
	case "revenue_cents":
		return strconv.FormatInt(i.RevenueCents, 10)
	}
	return ""
}

func cursorValue(col, val string) (any, error) {
	switch col {
	case "votes_count", "comments_count":
		return strconv.Atoi(val)
	case "revenue_cents":
		return strconv.ParseInt(val, 10, 64)
	case "last_activity_at":
		return time.Parse(time.RFC3339Nano, val)
	default:
		return strconv.ParseFloat(val, 64)
	}
}

func encodeCursor(val string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(val + "~" + strconv.FormatInt(id, 10)))
}

func decodeCursor(s string) (string, int64, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", 0, false
	}
	val, idText, ok := strings.Cut(string(raw), "~")
	if !ok {
		return "", 0, false
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return "", 0, false
	}
	return val, id, true
}

// CountIdeas counts all ideas, visible or not (for the seed's refusal).
func CountIdeas(ctx context.Context, db *DB) (int, error) {
	n, err := db.bun.NewSelect().Table("ideas").Count(ctx)
	return int(n), mapErr(err)
}

// IdeaLink names an idea and its last activity, for the sitemap.
type IdeaLink struct {
	ID             int64
	Slug           string
	LastActivityAt time.Time
}

// publicIdeas narrows a select on ideas to those anyone may see: not
// hidden, not merged away, not on a private board.
func publicIdeas(ctx context.Context, db bun.IDB, sel *bun.SelectQuery) (*bun.SelectQuery, error) {
	sel = sel.Where("hidden_at IS NULL").Where("merged_into_id IS NULL")
	private, err := privateBoardIDs(ctx, db)
	if err != nil {
		return nil, err
	}
	if len(private) > 0 {
		sel = sel.Where("board_id NOT IN (?)", bun.List(private))
	}
	return sel, nil
}

// PublicIdeaLinks lists up to limit ideas anyone may see whose id is past
// after, in id order: one page of the sitemap, read by keyset.
func PublicIdeaLinks(ctx context.Context, db *DB, after int64, limit int) ([]IdeaLink, error) {
	var rows []struct {
		ID             int64     `bun:"id"`
		Slug           string    `bun:"slug"`
		LastActivityAt time.Time `bun:"last_activity_at"`
	}
	sel, err := publicIdeas(ctx, db.bun, db.bun.NewSelect().Table("ideas").Column("id", "slug", "last_activity_at"))
	if err != nil {
		return nil, fmt.Errorf("sitemap: %w", mapErr(err))
	}
	sel = sel.Where("id > ?", after).OrderExpr("id ASC").Limit(int64(limit))
	if err := sel.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("sitemap: %w", mapErr(err))
	}
	links := make([]IdeaLink, len(rows))
	for i, r := range rows {
		links[i] = IdeaLink{ID: r.ID, Slug: r.Slug, LastActivityAt: r.LastActivityAt}
	}
	return links, nil
}

// SitemapPage is one page of the sitemap: the ideas whose id is past After,
// up to the page size, and the last activity among them.
type SitemapPage struct {
	After   int64
	Ideas   int
	LastMod time.Time
}

// SitemapPages splits the public ideas into pages of at most size, walking
// the ids by keyset: one aggregate over at most size index entries a page.
func SitemapPages(ctx context.Context, db *DB, size int) ([]SitemapPage, error) {
	var pages []SitemapPage
	var after int64
	for {
		inner, err := publicIdeas(ctx, db.bun, db.bun.NewSelect().Table("ideas").Column("id", "last_activity_at"))
		if err != nil {
			return nil, fmt.Errorf("sitemap pages: %w", mapErr(err))
		}
		inner = inner.Where("id > ?", after).OrderExpr("id ASC").Limit(int64(size))
		var agg struct {
			N      int   `bun:"n"`
			LastID int64 `bun:"last_id"`
			// SQLite's max() of a time is its stored text.
			LastMod sql.NullString `bun:"last_mod"`
		}
		err = db.bun.NewSelect().TableExpr("(?) AS page", inner).
			ColumnExpr("count(*) AS n, COALESCE(max(id), 0) AS last_id, max(last_activity_at) AS last_mod").
			Scan(ctx, &agg)
		if err != nil {
			return nil, fmt.Errorf("sitemap pages: %w", mapErr(err))
		}
		if agg.N == 0 && len(pages) > 0 {
			return pages, nil
		}
		page := SitemapPage{After: after, Ideas: agg.N}
		if agg.LastMod.Valid {
			if page.LastMod, err = parseTime(agg.LastMod.String); err != nil {
				return nil, fmt.Errorf("sitemap pages: %w", err)
			}
		}
		pages = append(pages, page)
		if agg.N < size {
			return pages, nil
		}
		after = agg.LastID
	}
}
