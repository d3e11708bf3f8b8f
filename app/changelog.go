package app

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// showChangelog lists what shipped, newest first, each with the response
// that announced it.
func (a *App) showChangelog(c *fiber.Ctx) error {
	ctx, user := c.UserContext(), currentUser(c)
	after := c.Query("after")
	page, err := models.Changelog(ctx, a.db, models.ChangelogQuery{After: after, Viewer: user})
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return fiber.NewError(fiber.StatusBadRequest, "That page link is no longer valid.")
	}
	if err != nil {
		return err
	}
	f := feedLinks("/feeds/changelog", "Changelog")
	return a.render(c, fiber.StatusOK, "changelog", fiber.Map{
		"Title":       "Changelog",
		"Description": "Everything we've shipped, with the story behind each change.",
		"Canonical":   "/changelog",
		"Feeds":       f.Links,
		"Follow":      f,
		"Ideas":       page.Ideas,
		"Next":        page.Next,
		"Paged":       after != "",
	})
}
