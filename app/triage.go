package app

import (
	"net/url"

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
	q := models.TriageQuery{Sort: c.Query("sort")}
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
	return a.render(c, fiber.StatusOK, "triage", fiber.Map{
		"Title":    "Triage",
		"Items":    items,
		"Sort":     q.Sort,
		"Boards":   boards,
		"Board":    board,
		"Statuses": statuses,
		"Status":   status,
		"Next":     next,
		"Limit":    models.TriageLimit,
	})
}
