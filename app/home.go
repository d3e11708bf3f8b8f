package app

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// sortOption is one entry of a list's sort menu.
type sortOption struct{ Key, Label string }

// sortMenu offers every sort of a list, in menu order; searchSortMenu adds
// the order of search results first.
var (
	sortMenu = []sortOption{
		{models.SortTrending, "Trending"},
		{models.SortTop, "Top"},
		{models.SortNew, "New"},
		{models.SortActive, "Recently active"},
		{models.SortDiscussed, "Most discussed"},
	}
	searchSortMenu = append([]sortOption{{models.SortRelevance, "Best match"}}, sortMenu...)
)

// showHome lists ideas: sort, board, status and page from the query string.
func (a *App) showHome(c *fiber.Ctx) error {
	ctx := c.UserContext()
	user := currentUser(c)
	q := models.IdeaQuery{Sort: c.Query("sort"), After: c.Query("after"), Search: searchText(c), Viewer: user}

	boards, err := models.Boards(ctx, a.db, user)
	if err != nil {
		return err
	}
	statuses, err := models.Statuses(ctx, a.db)
	if err != nil {
		return err
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
	sorts := sortMenu
	if q.Search != "" {
		// Searching adds "Best match", the default order of results.
		sorts = searchSortMenu
		if !models.ValidSort(q.Sort) {
			q.Sort = models.SortRelevance
		}
	} else if !models.ValidSort(q.Sort) {
		q.Sort = models.SortTrending
	}
	// The list takes each idea's board and status from these, not a join.
	q.Boards, q.Statuses = boards, statuses
	page, err := models.ListIdeas(ctx, a.db, q)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return fiber.NewError(fiber.StatusBadRequest, "That page link is no longer valid.")
	}
	if err != nil {
		return err
	}
	// New ideas can be followed from here; a public board's own feed too.
	follow := feedLinks("/feeds/ideas", "New ideas")
	feeds := follow.Links
	if board != nil && !board.IsPrivate {
		follow = feedLinks(boardFeedPath(board), board.Name)
		feeds = append(follow.Links, feeds...)
	}
	rows, err := a.ideaRows(page.Ideas)
	if err != nil {
		return err
	}
	return a.render(c, fiber.StatusOK, "home", fiber.Map{
		"Feeds":    feeds,
		"Follow":   follow,
		"Ideas":    page.Ideas,
		"Rows":     rows,
		"Next":     page.Next,
		"Sort":     q.Sort,
		"Sorts":    sorts,
		"Query":    q.Search,
		"Boards":   boards,
		"Board":    board,
		"Statuses": statuses,
		"Status":   status,
		"Filtered": board != nil || status != nil || q.After != "" || q.Search != "",
	})
}
