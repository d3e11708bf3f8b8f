package app

import (
	"net/url"
	"strings"

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
	return c.Redirect("/login?next="+url.QueryEscape(a.returnPath(c)), fiber.StatusSeeOther)
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

// returnPath is where to come back to after signing in: the page itself for
// a GET, the referring page of ours for a POST.
func (a *App) returnPath(c *fiber.Ctx) string {
	if c.Method() == fiber.MethodGet {
		return string(c.Request().RequestURI())
	}
	if ref := a.refererPath(c); ref != "" {
		return ref
	}
	return "/"
}

// refererPath is the path and query of the referring page when it is a page
// of this portal (same scheme and host as BASE_URL, never the request's Host
// header), else "".
func (a *App) refererPath(c *fiber.Ctx) string {
	ref, err := url.Parse(c.Get(fiber.HeaderReferer))
	if err != nil || a.cfg.Base == nil || ref.Scheme != a.cfg.Base.Scheme || !strings.EqualFold(ref.Host, a.cfg.Base.Host) {
		return ""
	}
	target := ref.EscapedPath()
	if ref.RawQuery != "" {
		target += "?" + ref.RawQuery
	}
	if safeNext(target) != target {
		return ""
	}
	return target
}
