package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// render shows a page inside the main layout with the data every page needs.
func (a *App) render(c *fiber.Ctx, status int, page string, data fiber.Map) error {
	if data == nil {
		data = fiber.Map{}
	}
	user := currentUser(c)
	data["User"] = user
	data["Unread"] = 0
	if user != nil {
		n, err := models.UnreadCount(c.UserContext(), a.db, user.ID)
		if err != nil {
			return err
		}
		data["Unread"] = n
	}
	data["CSRF"] = lazyCSRF{a: a, c: c}
	data["Path"] = c.Path()
	if _, ok := data["RequestURI"]; !ok {
		data["RequestURI"] = string(c.Request().RequestURI())
	}
	data["BaseURL"] = a.cfg.BaseURL
	data["Site"] = a.siteOrDefault(c.UserContext())
	if _, ok := data["Title"]; !ok {
		data["Title"] = ""
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderVary, "Cookie")
	return a.respondHTML(c, status, "pages/"+page, "layouts/main", data)
}

// respondHTML renders a template (in a layout, or alone for a fragment) as
// the response.
func (a *App) respondHTML(c *fiber.Ctx, status int, name, layout string, data fiber.Map) error {
	out, err := a.views.execute(name, layout, data)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(out)
}

// lazyCSRF is the CSRF token as templates print it: worked out (and its
// browser cookie issued) only when a template prints it, so a signed-out
// page without a form sets no cookie and can be served from the page cache.
type lazyCSRF struct {
	a *App
	c *fiber.Ctx
}

func (l lazyCSRF) String() string { return l.a.csrfToken(l.c) }
