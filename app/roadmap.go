package app

import (
	"context"
	"fmt"
	"hash/maphash"
	"html/template"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// showRoadmap is the public board: one column per roadmap status, cards in
// the order staff gave them, done showing what shipped most recently.
func (a *App) showRoadmap(c *fiber.Ctx) error {
	user := currentUser(c)
	board, err := a.roadmapBoard(c, user)
	if err != nil {
		return err
	}
	f := feedLinks("/feeds/roadmap", "Roadmap updates")
	return a.render(c, fiber.StatusOK, "roadmap", fiber.Map{
		"Title":       "Roadmap",
		"Description": "What we're planning, building and have shipped, shaped by your votes.",
		"Canonical":   "/roadmap",
		"Feeds":       f.Links,
		"Follow":      f,
		"Board":       board,
	})
}

// roadmapBoard renders the roadmap's columns. Members and visitors all
// see the same columns, and staff all see the same (private boards too, and
// the controls), so each of the two is rendered once for each data version
// and kept (the latest version's only): the page cache's version, which
// every write bumps, keeps it exact as it keeps the signed-out pages. The
// staff's is kept with formMark where each request writes its CSRF token.
func (a *App) roadmapBoard(c *fiber.Ctx, user *models.User) (template.HTML, error) {
	ctx := c.UserContext()
	staff := user.IsStaff()
	kept := &a.roadmap.members
	if staff {
		kept = &a.roadmap.staff
	}
	version, err := a.dataVersion(ctx)
	if err != nil {
		return "", err
	}
	h, ok := kept.get(version)
	if !ok {
		if h, err = a.renderRoadmapBoard(ctx, user); err != nil {
			return "", err
		}
		kept.put(version, h)
	}
	if !staff {
		return h, nil
	}
	var out strings.Builder
	out.Grow(len(h) + 2048)
	fillMarks(&out, string(h), a.csrfToken(c), "")
	return template.HTML(out.String()), nil //nolint:gosec // our board, with the viewer's token in place of its marks
}

// renderRoadmapBoard renders the columns the user sees, staff's with their
// controls and formMark for the CSRF token.
func (a *App) renderRoadmapBoard(ctx context.Context, user *models.User) (template.HTML, error) {
	found, err := models.Roadmap(ctx, a.db, user)
	if err != nil {
		return "", err
	}
	staff := user.IsStaff()
	cols, err := a.roadmapColumns(found, staff)
	if err != nil {
		return "", err
	}
	cards, planned := 0, 0
	for _, col := range cols {
		cards += len(col.Cards)
		if col.Ordered() {
			planned += len(col.Cards)
		}
	}
	data := fiber.Map{"Columns": cols, "Cards": cards, "Planned": planned, "Staff": staff}
	out, err := a.views.execute("partials/roadmap_board", "", data)
	if err != nil {
		return "", err
	}
	return template.HTML(unindent(out)), nil //nolint:gosec // our own template's output
}

// roadmapBoards holds the latest rendered columns for members and for staff.
type roadmapBoards struct {
	members, staff roadmapBoardCache
}

// roadmapBoardCache holds the columns of one data version, the latest
// rendered: older ones can never be shown again.
type roadmapBoardCache struct {
	latest atomic.Pointer[versionedHTML]
}

type versionedHTML struct {
	version int64
	html    template.HTML
}

func (rc *roadmapBoardCache) get(version int64) (template.HTML, bool) {
	if b := rc.latest.Load(); b != nil && b.version == version {
		return b.html, true
	}
	return "", false
}

// put keeps the columns unless a newer version is kept already.
func (rc *roadmapBoardCache) put(version int64, h template.HTML) {
	next := &versionedHTML{version: version, html: h}
	for {
		cur := rc.latest.Load()
		if cur != nil && cur.version >= version {
			return
		}
		if rc.latest.CompareAndSwap(cur, next) {
			return
		}
	}
}

// dataVersion is this instance's reading of the data version (at most the
// page cache's window old, fresh after this instance wrote). A change
// empties the page cache, as when the page cache reads it.
func (a *App) dataVersion(ctx context.Context) (int64, error) {
	v, changed, err := a.version.current(ctx, a.db)
	if changed && a.pages != nil {
		a.pages.clear()
	}
	return v, err
}

// roadmapColumn is a column as the page shows it: its cards rendered.
type roadmapColumn struct {
	models.RoadmapColumn
	Cards []template.HTML
}

// roadmapCardView is what partials/roadmap_card renders: a card, and for
// staff its controls.
type roadmapCardView struct {
	*models.Idea
	Excerpt string // the start of the response, as plain text
	Shipped bool   // a done column's card, dated

	Staff       bool
	First, Last bool            // its place in an ordered column, for the arrows
	Column      int64           // its column's status
	Columns     []models.Status // every column, to move it to
	CSRF        string          // formMark, for the viewer's token
}

// roadmapExcerptLength is how much of the response a card shows.
const roadmapExcerptLength = 140

// cardSeed hashes a response into its card's key.
var cardSeed = maphash.MakeSeed()

// roadmapColumns renders the cards, from the row cache where it can: like
// an idea row, a card's key holds everything it shows (the response by its
// hash; for staff, its place and the columns it can move to), so a cached
// card is never stale. Most of a card's cost is the excerpt of its
// response's HTML, and for staff the controls.
func (a *App) roadmapColumns(found []models.RoadmapColumn, staff bool) ([]roadmapColumn, error) {
	cols := make([]roadmapColumn, len(found))
	var columns []models.Status
	var key, moves strings.Builder
	if staff {
		for _, col := range found {
			columns = append(columns, col.Status)
			fmt.Fprintf(&moves, "%d:%s:%s|", col.Status.ID, col.Status.Slug, col.Status.Name)
		}
	}
	for i, col := range found {
		cols[i] = roadmapColumn{RoadmapColumn: col, Cards: make([]template.HTML, len(col.Cards))}
		shipped := !col.Ordered()
		for j := range col.Cards {
			idea := &col.Cards[j]
			view := roadmapCardView{Idea: idea, Shipped: shipped, Staff: staff}
			key.Reset()
			key.WriteString("card ")
			rowKey(&key, ideaRow{Idea: idea})
			key.WriteString(strconv.FormatUint(maphash.String(cardSeed, idea.ResponseHTML), 36))
			if shipped {
				key.WriteString(" shipped")
			}
			if staff {
				view.First, view.Last = j == 0, j == len(col.Cards)-1
				view.Column, view.Columns, view.CSRF = col.Status.ID, columns, formMark+"c"
				fmt.Fprintf(&key, " staff %d %t %t %s", view.Column, view.First, view.Last, moves.String())
			}
			body, ok := a.rows.Get(key.String())
			if !ok {
				view.Excerpt = htmlExcerpt(idea.ResponseHTML, roadmapExcerptLength)
				out, err := a.views.execute("partials/roadmap_card", "", view)
				if err != nil {
					return nil, err
				}
				body = template.HTML(out) //nolint:gosec // our own template's output
				a.rows.Add(key.String(), body)
			}
			cols[i].Cards[j] = body
		}
	}
	return cols, nil
}

// moveRoadmapCard moves a card one place up or down its column (`direction`),
// or into another column (`status`, optionally `before` another card).
func (a *App) moveRoadmapCard(c *fiber.Ctx) error {
	ctx, user := c.UserContext(), currentUser(c)
	id, err := parseID(c.FormValue("idea"))
	if err != nil {
		return err
	}
	m := models.RoadmapMove{Direction: c.FormValue("direction"), Status: c.FormValue("status")}
	if b := c.FormValue("before"); b != "" {
		if m.BeforeID, err = strconv.ParseInt(b, 10, 64); err != nil || m.BeforeID < 0 {
			return fiber.NewError(fiber.StatusUnprocessableEntity, "That card is not in this column.")
		}
	}
	idea, err := models.MoveRoadmapCard(ctx, a.db, id, user, m)
	if err != nil {
		return staffRefusal(err)
	}
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"id": idea.ID, "status": idea.Status.Slug, "position": idea.RoadmapPosition})
	}
	return c.Redirect("/roadmap#card-"+strconv.FormatInt(idea.ID, 10), fiber.StatusSeeOther)
}
