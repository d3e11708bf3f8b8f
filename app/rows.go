package app

import (
	"html/template"
	"strconv"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/cluetrain/cluetrain/models"
)

// Idea rows are most of a list page's rendering cost, and most of them are
// the same from one request to the next. rowCache keeps the rendered HTML of
// recent rows keyed by everything a row shows (title, votes, the viewer's
// own vote, status, board, comments, age...), so a cached row can never be
// stale: when anything it shows changes, its key changes and it is rendered
// afresh. Nothing is shared between instances and nothing needs invalidating.
type rowCache = lru.Cache[string, template.HTML]

// rowCacheSize bounds the cache: a few thousand rows of well under a
// kilobyte each.
const rowCacheSize = 4096

func newRowCache() *rowCache {
	c, err := lru.New[string, template.HTML](rowCacheSize)
	if err != nil {
		panic(err) // only for a size below 1
	}
	return c
}

// ideaRow is what partials/idea_row renders: the idea, with the text
// derived from it worked out once.
type ideaRow struct {
	*models.Idea
	Summary string // the start of the body, from the stored plain text
	Age     string // how long ago it was posted
}

// rowSummaryLength is how much of the body a row shows.
const rowSummaryLength = 180

// ideaRows renders the list's rows, from the cache where it can.
func (a *App) ideaRows(ideas []models.Idea) ([]template.HTML, error) {
	now := a.db.Now()
	rows := make([]template.HTML, len(ideas))
	var key strings.Builder
	for i := range ideas {
		row := ideaRow{Idea: &ideas[i], Summary: ideas[i].Excerpt(rowSummaryLength), Age: ago(now, ideas[i].CreatedAt)}
		key.Reset()
		rowKey(&key, row)
		if h, ok := a.rows.Get(key.String()); ok {
			rows[i] = h
			continue
		}
		out, err := a.views.execute("partials/idea_row", "", row)
		if err != nil {
			return nil, err
		}
		rows[i] = template.HTML(out) //nolint:gosec // our own template's output
		a.rows.Add(key.String(), rows[i])
	}
	return rows, nil
}

// rowKey writes every value a row shows; each text is prefixed with its
// length, so that no two different rows can share a key.
func rowKey(b *strings.Builder, r ideaRow) {
	field := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	num := func(n int64) { b.WriteString(strconv.FormatInt(n, 10)); b.WriteByte(' ') }
	num(r.ID)
	num(int64(r.VotesCount))
	num(int64(r.CommentsCount))
	num(r.UpdatedAt.UnixNano())
	num(r.CreatedAt.UnixNano())
	if r.Voted {
		b.WriteString("v ")
	}
	field(r.Slug)
	field(r.Title)
	field(r.Summary)
	field(r.Age)
	if s := r.Status; s != nil {
		field(s.Slug)
		field(s.Name)
		field(s.Color)
	}
	b.WriteByte('|')
	if bd := r.Board; bd != nil {
		field(bd.Name)
	}
}
