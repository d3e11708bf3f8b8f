package app

import (
	"net/url"
	"strings"
	"unicode"

	"github.com/gofiber/fiber/v2"
)

// Where a request goes next. Only paths on this site are ever followed:
// a form's `next`, the Referer and sign-in's return address all pass
// through safeNext.

// returnPath is where a form post goes back to: the form's own `next` when
// it names a page of ours, else the referring page when it is ours, else
// fallback.
func (a *App) returnPath(c *fiber.Ctx, fallback string) string {
	if next := formNext(c); next != "" {
		return next
	}
	if ref := a.refererPath(c); ref != "" {
		return ref
	}
	return fallback
}

// goBack answers a form post with a 303 to returnPath.
func (a *App) goBack(c *fiber.Ctx, fallback string) error {
	return c.Redirect(a.returnPath(c, fallback), fiber.StatusSeeOther)
}

// formNext is the form's `next` when it is a path on this site, else "".
func formNext(c *fiber.Ctx) string {
	if next := c.FormValue("next"); next != "" && safeNext(next) == next {
		return strings.Clone(next)
	}
	return ""
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

// safeNext returns raw when it is a path on this site, else "/". Anything
// a browser could read as another origin (//host, /\host, a scheme, control
// characters that browsers strip) is refused.
func safeNext(raw string) string {
	if raw == "" || len(raw) > 2000 || raw[0] != '/' {
		return "/"
	}
	if strings.HasPrefix(raw, "//") || strings.ContainsRune(raw, '\\') {
		return "/"
	}
	for _, r := range raw {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return "/"
		}
	}
	if dec, err := url.PathUnescape(raw); err != nil || strings.HasPrefix(dec, "//") || strings.ContainsRune(dec, '\\') {
		return "/"
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return strings.Clone(raw)
}
