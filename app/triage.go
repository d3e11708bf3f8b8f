package app

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/csv"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// triageView is a triage request read: the query and the filters it named.
type triageView struct {
	Query    models.TriageQuery
	Boards   []models.Board
	Board    *models.Board
	Statuses []models.Status
	Status   *models.Status
	Plans    []string
}

// params are the view's query parameters, without the page cursor.
func (v *triageView) params() url.Values {
	p := url.Values{}
	if v.Query.Sort != models.TriageVotes {
		p.Set("sort", v.Query.Sort)
	}
	if v.Board != nil {
		p.Set("board", v.Board.Slug)
	}
	if v.Status != nil {
		p.Set("status", v.Status.Slug)
	}
	if v.Query.Plan != "" {
		p.Set("plan", v.Query.Plan)
	}
	return p
}

// readTriage reads ?sort=votes|trend|revenue, ?board=, ?status=, ?plan=
// and ?after= (the same for the page and its CSV).
func (a *App) readTriage(c *fiber.Ctx) (*triageView, error) {
	ctx, user := c.UserContext(), currentUser(c)
	v := &triageView{Query: models.TriageQuery{
		Sort:  models.TriageSort(c.Query("sort")),
		Plan:  strings.Clone(strings.TrimSpace(c.Query("plan"))),
		After: strings.Clone(c.Query("after")),
	}}
	var err error
	if v.Boards, err = models.Boards(ctx, a.db, user); err != nil {
		return nil, err
	}
	if v.Statuses, err = models.TriageStatuses(ctx, a.db); err != nil {
		return nil, err
	}
	if v.Plans, err = models.Plans(ctx, a.db); err != nil {
		return nil, err
	}
	if v.Board, v.Status, err = listFilters(c, v.Boards, v.Statuses); err != nil {
		return nil, err
	}
	v.Query.Statuses, v.Query.Boards = v.Statuses, v.Boards
	if v.Board != nil {
		v.Query.BoardID = v.Board.ID
	}
	if v.Status != nil {
		v.Query.StatusID = v.Status.ID
	}
	return v, nil
}

// showTriage ranks the ideas not yet on the roadmap for staff, by votes,
// trend or revenue at stake, filtered by board, status and plan, each row
// with its weekly chart and its actions.
func (a *App) showTriage(c *fiber.Ctx) error {
	v, err := a.readTriage(c)
	if err != nil {
		return err
	}
	page, err := models.Triage(c.UserContext(), a.db, v.Query)
	if err != nil {
		return err
	}
	// Every action comes back to this very view.
	params := v.params()
	next := "/triage"
	csvPath := "/triage.csv"
	if len(params) > 0 {
		next += "?" + params.Encode()
		csvPath += "?" + params.Encode()
	}
	var more string
	if page.Next != "" {
		params.Set("after", page.Next)
		more = "/triage?" + params.Encode()
	}
	rows, err := a.triageRows(page.Items, a.csrfToken(c), next)
	if err != nil {
		return err
	}
	return a.render(c, fiber.StatusOK, "triage", fiber.Map{
		"Title":    "Triage",
		"Rows":     rows,
		"Sort":     v.Query.Sort,
		"Boards":   v.Boards,
		"Board":    v.Board,
		"Statuses": v.Statuses,
		"Status":   v.Status,
		"Plans":    v.Plans,
		"Plan":     v.Query.Plan,
		"More":     more,
		"CSV":      csvPath,
		"Limit":    models.TriageLimit,
		"Weeks":    models.ChartWeeks,
	})
}

// triageRow is what partials/triage_row renders: an idea with its weighing,
// and in its forms the markers for the viewer's CSRF token and the way back.
type triageRow struct {
	*models.TriageItem
	Age  string
	CSRF string
	Next string
}

// formMark stands in a cached fragment for what differs from one viewer or
// view to the next: followed by 'c' for the CSRF token, by 'n' for the way
// back. It is random, so no text a person writes can contain it.
var formMark = "mark-" + rand.Text() + "-"

// triageRows renders triage's rows, from the row cache where it can: like
// an idea row, a triage row's key holds everything it shows, so a cached
// row is never stale. The cached HTML carries formMark where each request
// writes its own token and path.
func (a *App) triageRows(items []models.TriageItem, csrf, next string) ([]template.HTML, error) {
	now := a.db.Now()
	rows := make([]string, len(items))
	size := 0
	var key strings.Builder
	for i := range items {
		it := &items[i]
		row := triageRow{TriageItem: it, Age: ago(now, it.CreatedAt), CSRF: formMark + "c", Next: formMark + "n"}
		key.Reset()
		key.WriteString("triage ")
		rowKey(&key, ideaRow{Idea: &it.Idea, Age: row.Age})
		fmt.Fprintf(&key, "|%d %d %d %t %v", it.RevenueCents, it.CriticalCount, it.Velocity, it.Board != nil && it.Board.IsPrivate, it.Weeks)
		h, ok := a.rows.Get(key.String())
		if !ok {
			out, err := a.views.execute("partials/triage_row", "", row)
			if err != nil {
				return nil, err
			}
			h = template.HTML(unindent(out)) //nolint:gosec // our own template's output
			a.rows.Add(key.String(), h)
		}
		rows[i] = string(h)
		size += len(h)
	}
	next = template.HTMLEscapeString(next)
	var out strings.Builder
	out.Grow(size + len(rows)*8*(len(csrf)+len(next)))
	html := make([]template.HTML, len(rows))
	for i, h := range rows {
		start := out.Len()
		fillMarks(&out, h, csrf, next)
		html[i] = template.HTML(out.String()[start:]) //nolint:gosec // our row, with a token and an escaped path in place of its marks
	}
	return html, nil
}

// unindent drops the indentation after each line break of rendered HTML,
// a third of a row kept in memory and sent. It is for fragments whose
// text is all in elements where white space collapses (no pre, no
// textarea with a line break in it).
func unindent(html []byte) []byte {
	out := html[:0]
	for i := 0; i < len(html); i++ {
		out = append(out, html[i])
		if html[i] == '\n' {
			for i+1 < len(html) && (html[i+1] == ' ' || html[i+1] == '\t') {
				i++
			}
		}
	}
	return out
}

// fillMarks writes h with each formMark replaced: by csrf, or by next.
func fillMarks(out *strings.Builder, h, csrf, next string) {
	for {
		i := strings.Index(h, formMark)
		if i < 0 || i+len(formMark) >= len(h) {
			out.WriteString(h)
			return
		}
		out.WriteString(h[:i])
		if h[i+len(formMark)] == 'c' {
			out.WriteString(csrf)
		} else {
			out.WriteString(next)
		}
		h = h[i+len(formMark)+1:]
	}
}

// exportTriage streams the triage view as CSV: every page of it, with the
// same sort and filters, read a page at a time.
func (a *App) exportTriage(c *fiber.Ctx) error {
	v, err := a.readTriage(c)
	if err != nil {
		return err
	}
	q := v.Query
	// The first page is read here, so a bad cursor is still a 422.
	first, err := models.Triage(c.UserContext(), a.db, q)
	if err != nil {
		return err
	}
	header := []string{"id", "title", "url", "board", "status", "votes", "critical_votes", "revenue", "votes_per_week", "created_at"}
	a.streamCSV(c, "triage.csv", header, func(ctx context.Context, w *csv.Writer) error {
		page := first
		for {
			for _, it := range page.Items {
				weeks := make([]string, len(it.Weeks))
				for i, n := range it.Weeks {
					weeks[i] = strconv.Itoa(n)
				}
				var board, status string
				if it.Board != nil {
					board = it.Board.Name
				}
				if it.Status != nil {
					status = it.Status.Name
				}
				if err := w.Write(csvRow(strconv.FormatInt(it.ID, 10), it.Title, a.cfg.URL(ideaPath(it.ID, it.Slug)),
					board, status, strconv.Itoa(it.VotesCount), strconv.Itoa(it.CriticalCount),
					money(it.RevenueCents), strings.Join(weeks, " "), it.CreatedAt.UTC().Format(time.RFC3339))); err != nil {
					return err
				}
			}
			if page.Next == "" {
				return nil
			}
			q.After = page.Next
			if page, err = models.Triage(ctx, a.db, q); err != nil {
				return err
			}
		}
	})
	return nil
}

// voterPage is how many voters an export reads at a time.
const voterPage = 500

// exportVoters streams an idea's voters as CSV, for staff: one row a voter
// with who they are to the company and how much the idea matters to them.
func (a *App) exportVoters(c *fiber.Ctx) error {
	idea, err := a.visibleIdea(c)
	if err != nil {
		return err
	}
	// The first page is read here, so a failing database is an error page.
	first, after, err := models.IdeaVoters(c.UserContext(), a.db, idea.ID, 0, voterPage)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("idea-%d-voters.csv", idea.ID)
	header := []string{"email", "name", "company", "plan", "mrr", "importance", "voted_at"}
	a.streamCSV(c, name, header, func(ctx context.Context, w *csv.Writer) error {
		page := first
		for {
			for _, v := range page {
				if err := w.Write(csvRow(v.EmailAddress(), v.Name, v.Company, v.Plan, money(v.MRRCents),
					v.Importance, v.VotedAt.UTC().Format(time.RFC3339))); err != nil {
					return err
				}
			}
			if after == 0 {
				return nil
			}
			if page, after, err = models.IdeaVoters(ctx, a.db, idea.ID, after, voterPage); err != nil {
				return err
			}
		}
	})
	return nil
}

// streamCSV answers with a CSV download whose header row is written at
// once and whose rows come from rows, written as they are read. The stream
// runs after the handler returns, so it has its own time limit.
func (a *App) streamCSV(c *fiber.Ctx, name string, header []string, rows func(context.Context, *csv.Writer) error) {
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Status(fiber.StatusOK)
	log := a.log
	c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		w := csv.NewWriter(bw)
		err := w.Write(header)
		if err == nil {
			err = rows(ctx, w)
		}
		w.Flush()
		if err == nil {
			err = w.Error()
		}
		if err != nil {
			// The status is sent; a cut-off file is all that can tell.
			log.Error("csv export failed", "file", name, "err", err)
		}
	})
}

// csvRow neutralises cells a spreadsheet would read as a formula (those
// starting with =, +, -, @, a tab or a carriage return) by prefixing a
// single quote, as OWASP recommends.
func csvRow(cells ...string) []string {
	for i, s := range cells {
		if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
			cells[i] = "'" + s
		}
	}
	return cells
}

// money writes cents as a decimal amount: 123456 is "1234.56".
func money(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}
