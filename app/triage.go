package app

import (
	"html/template"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// showTriage ranks the ideas not yet on the roadmap for staff, by votes or
// by trend, filtered by board and status, each row with its actions.
func (a *App) showTriage(c *fiber.Ctx) error {
	ctx, user := c.UserContext(), currentUser(c)
	boards, err := models.Boards(ctx, a.db, user)
	if err != nil {
		return err
	}
	statuses, err := models.TriageStatuses(ctx, a.db)
	if err != nil {
		return err
	}
	// The rows take their boards and statuses from these, not a join.
	q := models.TriageQuery{Sort: c.Query("sort"), Boards: boards, Statuses: statuses}
	if q.Sort != models.SortTrending {
		q.Sort = models.SortTop
	}
	board, status, err := listFilters(c, boards, statuses)
	if err != nil {
		return err
	}
	if board != nil {
		q.BoardID = board.ID
	}
	if status != nil {
		q.StatusID = status.ID
	}
	items, err := models.Triage(ctx, a.db, q)
	if err != nil {
		return err
	}
	// Every action comes back to this very view.
	back := url.Values{}
	if q.Sort != models.SortTop {
		back.Set("sort", q.Sort)
	}
	if board != nil {
		back.Set("board", board.Slug)
	}
	if status != nil {
		back.Set("status", status.Slug)
	}
	next := "/triage"
	if len(back) > 0 {
		next += "?" + back.Encode()
	}
	rows, err := a.triageRows(c, items, next)
	if err != nil {
		return err
	}
	return a.render(c, fiber.StatusOK, "triage", fiber.Map{
		"Title":    "Triage",
		"Items":    items,
		"Rows":     rows,
		"Sort":     q.Sort,
		"Boards":   boards,
		"Board":    board,
		"Statuses": statuses,
		"Status":   status,
		"Next":     next,
		"Limit":    models.TriageLimit,
	})
}

// triageRow is what partials/triage_row renders: an item and the values
// its forms carry.
type triageRow struct {
	*models.TriageItem
	CSRF string // the viewer's token
	Next string // where each action comes back to
}

// triageRows renders the rows, from the row cache where it can. A row
// carries the viewer's CSRF token, so its key holds the token and the row
// is only ever served again to the same session; the rest of the key is
// everything the row shows, so it is never stale. Staff working through
// the list see it again after each action, every row but the one acted on
// unchanged.
func (a *App) triageRows(c *fiber.Ctx, items []models.TriageItem, next string) ([]template.HTML, error) {
	csrf := a.csrfToken(c)
	now := a.db.Now()
	rows := make([]template.HTML, len(items))
	var key strings.Builder
	for i := range items {
		it := &items[i]
		key.Reset()
		key.WriteString("triage ")
		rowKey(&key, ideaRow{Idea: &it.Idea, Age: ago(now, it.CreatedAt)})
		key.WriteString(strconv.Itoa(it.Velocity))
		if it.Board != nil && it.Board.IsPrivate {
			key.WriteString(" private")
		}
		key.WriteByte(' ')
		key.WriteString(csrf)
		key.WriteByte(' ')
		key.WriteString(next)
		if h, ok := a.rows.Get(key.String()); ok {
			rows[i] = h
			continue
		}
		out, err := a.views.execute("partials/triage_row", "", triageRow{TriageItem: it, CSRF: csrf, Next: next})
		if err != nil {
			return nil, err
		}
		rows[i] = template.HTML(out) //nolint:gosec // our own template's output
		a.rows.Add(key.String(), rows[i])
	}
	return rows, nil
}
