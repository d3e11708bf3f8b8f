package app

import (
	"net/url"

	"github.com/gofiber/fiber/v2"
)

// Access gates, used as route middleware. A signed-out visitor who tries to
// write gets 401 (JSON) or a 303 to the sign-in page that returns here; a
// signed-in user without the right gets 403.

// requireUser lets signed-in users through.
func (a *App) requireUser(c *fiber.Ctx) error {
	if currentUser(c) != nil {
		return c.Next()
	}
	if wantsJSON(c) {
		return c.Status(fiber.StatusUnauthorized).JSON(fiber.Map{"error": "Sign in to do that.", "status": fiber.StatusUnauthorized})
	}
	return c.Redirect("/login?next="+url.QueryEscape(a.signInReturn(c)), fiber.StatusSeeOther)
}

// requireWriter lets signed-in users who are not blocked through.
func (a *App) requireWriter(c *fiber.Ctx) error {
	u := currentUser(c)
	if u == nil {
		return a.requireUser(c)
	}
	if !u.CanWrite() {
		return fiber.NewError(fiber.StatusForbidden, "Your account has been blocked from posting. You can still read everything.")
	}
	return c.Next()
}

// requireStaff lets staff and admins through.
func (a *App) requireStaff(c *fiber.Ctx) error {
	u := currentUser(c)
	if u == nil {
		return a.requireUser(c)
	}
	if !u.IsStaff() {
		return fiber.NewError(fiber.StatusForbidden, "Only staff can do that.")
	}
	return c.Next()
}

// requireStaffDownload lets staff and admins through to a download; a
// signed-out request gets 401 (a file has no sign-in page to return to).
func (a *App) requireStaffDownload(c *fiber.Ctx) error {
	if currentUser(c) == nil {
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Status(fiber.StatusUnauthorized).SendString("Sign in as staff to download this.\n")
	}
	return a.requireStaff(c)
}

// requireAdmin lets admins through.
func (a *App) requireAdmin(c *fiber.Ctx) error {
	u := currentUser(c)
	if u == nil {
		return a.requireUser(c)
	}
	if !u.IsAdmin() {
		return fiber.NewError(fiber.StatusForbidden, "Only admins can do that.")
	}
	return c.Next()
}

// signInReturn is where signing in comes back to: the page itself for a
// GET, else where the form would have gone back to.
func (a *App) signInReturn(c *fiber.Ctx) string {
	if c.Method() == fiber.MethodGet {
		return string(c.Request().RequestURI())
	}
	return a.returnPath(c, "/")
}
