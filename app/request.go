package app

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// Reading a request: the ids in its path, the filters in its query, what it
// wants back. Handlers of every resource share these.

// parseID reads an id as the portal writes it: digits, no sign, no leading
// zero. Anything else is not found.
func parseID(raw string) (int64, error) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != raw {
		return 0, fiber.ErrNotFound
	}
	return id, nil
}

// ideaID reads the idea id in the path (:id); anything but an id is 404.
func ideaID(c *fiber.Ctx) (int64, error) { return parseID(c.Params("id")) }

// commentID reads the comment id in the path (:cid); anything but an id is
// 404.
func commentID(c *fiber.Ctx) (int64, error) { return parseID(c.Params("cid")) }

// visibleIdea loads the idea named by :id if the visitor may see it.
func (a *App) visibleIdea(c *fiber.Ctx) (*models.Idea, error) {
	id, err := ideaID(c)
	if err != nil {
		return nil, err
	}
	return models.IdeaByID(c.UserContext(), a.db, id, currentUser(c))
}

// listFilters reads the board and status a list is filtered by (their
// slugs in ?board= and ?status=) from those the viewer may see; either may
// be nil, and an unknown slug is 404.
func listFilters(c *fiber.Ctx, boards []models.Board, statuses []models.Status) (*models.Board, *models.Status, error) {
	var board *models.Board
	if slug := c.Query("board"); slug != "" {
		for i := range boards {
			if boards[i].Slug == slug {
				board = &boards[i]
			}
		}
		if board == nil {
			return nil, nil, fiber.ErrNotFound
		}
	}
	var status *models.Status
	if slug := c.Query("status"); slug != "" {
		for i := range statuses {
			if statuses[i].Slug == slug {
				status = &statuses[i]
			}
		}
		if status == nil {
			return nil, nil, fiber.ErrNotFound
		}
	}
	return board, status, nil
}

// searchText is the ?q= of a list, trimmed and bounded.
func searchText(c *fiber.Ctx) string {
	q := strings.TrimSpace(c.Query("q"))
	if len(q) > 1000 {
		q = q[:1000]
	}
	return q
}

// wantsJSON reports whether the client asked for JSON.
func wantsJSON(c *fiber.Ctx) bool {
	return strings.Contains(c.Get(fiber.HeaderAccept), fiber.MIMEApplicationJSON)
}
