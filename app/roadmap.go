package app

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// showRoadmap is the public board: one column per roadmap status, cards in
// the order staff gave them, done showing what shipped most recently.
func (a *App) showRoadmap(c *fiber.Ctx) error {
	ctx, user := c.UserContext(), currentUser(c)
	cols, err := models.Roadmap(ctx, a.db, user)
	if err != nil {
		return err
	}
	cards, planned := 0, 0
	for _, col := range cols {
		cards += len(col.Cards)
		if col.Ordered() {
			planned += len(col.Cards)
		}
	}
	f := feedLinks("/feeds/roadmap", "Roadmap updates")
	return a.render(c, fiber.StatusOK, "roadmap", fiber.Map{
		"Title":       "Roadmap",
		"Description": "What we're planning, building and have shipped, shaped by your votes.",
		"Canonical":   "/roadmap",
		"Feeds":       f.Links,
		"Follow":      f,
		"Columns":     cols,
		"Cards":       cards,
		"Planned":     planned,
		"Staff":       user.IsStaff(),
	})
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
