package app

import (
	"context"
	"encoding/xml"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// showHome lists ideas: sort, board, status and page from the query string.
func (a *App) showHome(c *fiber.Ctx) error {
	ctx := c.UserContext()
	user := currentUser(c)
	q := models.IdeaQuery{Sort: c.Query("sort"), After: c.Query("after"), Search: strings.TrimSpace(c.Query("q")), Viewer: user}
	if len(q.Search) > 1000 {
		q.Search = q.Search[:1000]
	}

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
	sorts := models.SortNames
	if q.Search != "" {
		// Searching adds "Best match", the default order of results.
		sorts = append([]struct{ Key, Label string }{{models.SortRelevance, "Best match"}}, sorts...)
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

// showHealth answers 200 when the database answers, 503 when it does not.
func (a *App) showHealth(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	c.Set(fiber.HeaderCacheControl, "no-store")
	if err := a.db.Ping(ctx); err != nil {
		a.log.Warn("health check failed", "err", err)
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "database": "down"})
	}
	return c.JSON(fiber.Map{"status": "ok", "database": a.dbKind()})
}

func (a *App) showRobots(c *fiber.Ctx) error {
	var b strings.Builder
	b.WriteString("User-agent: *\n")
	for _, p := range []string{"/login", "/auth/", "/ideas/new", "/triage", "/admin", "/ideas/similar"} {
		b.WriteString("Disallow: " + p + "\n")
	}
	b.WriteString("\nSitemap: " + a.cfg.URL("/sitemap.xml") + "\n")
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.SendString(b.String())
}

type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

type sitemapSet struct {
	XMLName xml.Name     `xml:"urlset"`
	NS      string       `xml:"xmlns,attr"`
	URLs    []sitemapURL `xml:"url"`
}

// showSitemap lists the public pages and every public idea.
func (a *App) showSitemap(c *fiber.Ctx) error {
	links, err := models.PublicIdeaLinks(c.UserContext(), a.db, 50000-3)
	if err != nil {
		return err
	}
	set := sitemapSet{NS: "http://www.sitemaps.org/schemas/sitemap/0.9"}
	for _, p := range []string{"/", "/roadmap", "/changelog"} {
		set.URLs = append(set.URLs, sitemapURL{Loc: a.cfg.URL(p)})
	}
	for _, l := range links {
		set.URLs = append(set.URLs, sitemapURL{Loc: a.cfg.URL(l.Path), LastMod: l.UpdatedAt.UTC().Format(time.RFC3339)})
	}
	out, err := xml.MarshalIndent(set, "", "  ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationXMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "public, max-age=600")
	return c.Send(append([]byte(xml.Header), out...))
}
