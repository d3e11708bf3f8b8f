package models

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/cluetrain/cluetrain/models/markdown"
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
	RoadmapPosition  float64    `bun:"roadmap_position"`
	MergedIntoID     *int64     `bun:"merged_into_id"`
	Response         string     `bun:"response"`
	ResponseHTML     string     `bun:"response_html"`
	ResponseAuthorID *int64     `bun:"response_author_id"`
	RespondedAt      *time.Time `bun:"responded_at"`
	HiddenAt         *time.Time `bun:"hidden_at"`
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

// Path is the idea's canonical URL path.
func (i *Idea) Path() string { return "/ideas/" + strconv.FormatInt(i.ID, 10) + "/" + i.Slug }

// VisibleTo reports whether the viewer may see the idea. Board and Status
// must be loaded.
func (i *Idea) VisibleTo(u *User) bool {
	if i.Board != nil && !i.Board.VisibleTo(u) {
		return false
	}
	return i.HiddenAt == nil || u.IsStaff()
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

// SortNames maps each sort to its label, in menu order.
var SortNames = []struct{ Key, Label string }{
	{SortTrending, "Trending"},
	{SortTop, "Top"},
	{SortNew, "New"},
	{SortActive, "Recently active"},
	{SortDiscussed, "Most discussed"},
}

// ValidSort reports whether s names a sort.
func ValidSort(s string) bool {
	for _, n := range SortNames {
		if n.Key == s {
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
	}
	return ""
}

func cursorValue(col, val string) (any, error) {
	switch col {
	case "votes_count", "comments_count":
		return strconv.Atoi(val)
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

// IdeaLink is an idea's address and last change, for the sitemap.
type IdeaLink struct {
	Path      string
	UpdatedAt time.Time
}

// PublicIdeaLinks lists ideas anyone may see, most recently changed first.
func PublicIdeaLinks(ctx context.Context, db *DB, limit int) ([]IdeaLink, error) {
	var rows []struct {
		ID        int64     `bun:"id"`
		Slug      string    `bun:"slug"`
		UpdatedAt time.Time `bun:"updated_at"`
	}
	sel := db.bun.NewSelect().Table("ideas").Column("id", "slug", "updated_at").
		Where("hidden_at IS NULL").Where("merged_into_id IS NULL").
		OrderExpr("updated_at DESC, id DESC").Limit(int64(limit))
	private, err := privateBoardIDs(ctx, db.bun)
	if err != nil {
		return nil, fmt.Errorf("sitemap: %w", err)
	}
	if len(private) > 0 {
		sel = sel.Where("board_id NOT IN (?)", bun.List(private))
	}
	if err := sel.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("sitemap: %w", mapErr(err))
	}
	links := make([]IdeaLink, len(rows))
	for i, r := range rows {
		links[i] = IdeaLink{Path: fmt.Sprintf("/ideas/%d/%s", r.ID, r.Slug), UpdatedAt: r.UpdatedAt}
	}
	return links, nil
}
