package app

import (
	"context"
	"errors"
	"io"
	"net/url"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// The site settings (name, welcome, accent colour, logo, approval, private
// portal) are read on every request, so they are kept in memory with the
// data version they were read at: a change on any instance moves the data
// version (the settings table has its trigger), and the next request that
// sees the new version reads them again. So a page the page cache keeps
// under a version never shows settings older than that version.

// logoBodyLimit bounds the settings form, which may carry a logo; every
// other request keeps bodyLimit.
const logoBodyLimit = models.LogoMaxBytes + 64*1024

type siteCache struct {
	mu      sync.Mutex
	site    *models.Site
	version int64 // the data version read before the settings
}

// site is the portal's settings as of this instance's reading of the data
// version.
func (a *App) site(ctx context.Context) (*models.Site, error) {
	v, _, err := a.version.current(ctx, a.db)
	if err != nil {
		return nil, err
	}
	a.siteCache.mu.Lock()
	defer a.siteCache.mu.Unlock()
	if a.siteCache.site != nil && a.siteCache.version == v {
		return a.siteCache.site, nil
	}
	s, err := models.LoadSite(ctx, a.db)
	if err != nil {
		return nil, err
	}
	a.siteCache.site, a.siteCache.version = s, v
	return s, nil
}

// siteOrDefault is the settings, or the defaults when the database does not
// answer (the page that needs the database will say so itself).
func (a *App) siteOrDefault(ctx context.Context) *models.Site {
	s, err := a.site(ctx)
	if err != nil {
		return &models.Site{Name: models.DefaultSiteName, Approval: models.ApprovalNever}
	}
	return s
}

// siteLabel names the portal in mail and feeds: its name once an admin
// has given it one, else its host.
func (a *App) siteLabel(ctx context.Context) string {
	if s := a.siteOrDefault(ctx); s.Name != models.DefaultSiteName {
		return s.Name
	}
	return a.cfg.Base.Host
}

// mailAccent is the colour of links and buttons in mail: the accent, which
// white text reads on, or the built-in one. Mail has no dark mode of ours.
func (a *App) mailAccent(ctx context.Context) string {
	if s := a.siteOrDefault(ctx); s.Accent != "" {
		return s.Accent
	}
	return "#4f46e5"
}

// forgetSite drops the cached settings after a change.
func (a *App) forgetSite() {
	a.siteCache.mu.Lock()
	a.siteCache.site = nil
	a.siteCache.mu.Unlock()
	a.version.forget()
	if a.onSiteChange != nil {
		a.onSiteChange()
	}
}

// portalIsPrivate reports whether the portal requires sign-in for
// everything. A cache of signed-out pages must serve nothing while it is.
func (a *App) portalIsPrivate() bool {
	return a.siteOrDefault(context.Background()).Private
}

// limitBodies answers 413 to a body over bodyLimit anywhere but the
// settings form, whose logo may be larger.
func (a *App) limitBodies(c *fiber.Ctx) error {
	limit := bodyLimit
	if c.Path() == "/admin/settings" {
		limit = logoBodyLimit
	}
	if len(c.Request().Body()) > limit || c.Request().Header.ContentLength() > limit {
		return fiber.NewError(fiber.StatusRequestEntityTooLarge, "That is too large to accept.")
	}
	return c.Next()
}

// privateFeeds answers 401 to every feed of a private portal: a feed
// reader has no session to show.
func (a *App) privateFeeds(c *fiber.Ctx) error {
	s, err := a.site(c.UserContext())
	if err != nil {
		return err
	}
	if s.Private {
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Status(fiber.StatusUnauthorized).JSON(fiber.Map{"error": "This portal is private: sign in to read it.", "status": fiber.StatusUnauthorized})
	}
	return c.Next()
}

// signInPaths stay open on a private portal, so people can get in.
func openWhenPrivate(path string) bool {
	return path == "/login" || strings.HasPrefix(path, "/login/") || strings.HasPrefix(path, "/auth/") || path == "/logout"
}

// gatePortal sends signed-out visitors of a private portal to sign in, and
// shows people whose address is not of an allowed domain a 403. Staff and
// admins are never shut out.
func (a *App) gatePortal(c *fiber.Ctx) error {
	s, err := a.site(c.UserContext())
	if err != nil {
		return err
	}
	if !s.Private || openWhenPrivate(c.Path()) {
		return c.Next()
	}
	u := currentUser(c)
	if u == nil {
		c.Set(fiber.HeaderCacheControl, "no-store")
		if wantsJSON(c) {
			return c.Status(fiber.StatusUnauthorized).JSON(fiber.Map{"error": "This portal is private: sign in to read it.", "status": fiber.StatusUnauthorized})
		}
		return c.Redirect("/login?next="+url.QueryEscape(a.signInReturn(c)), fiber.StatusSeeOther)
	}
	if !u.IsStaff() && !(u.EmailVerified && u.Email != nil && s.DomainAllowed(*u.Email)) {
		return fiber.NewError(fiber.StatusForbidden, "This portal is open only to people of "+strings.Join(s.Domains(), ", ")+
			" and those its admins invite. Sign in with an address there, or ask the portal's admins to invite you.")
	}
	return c.Next()
}

// showLogo serves an uploaded logo by its hash: the address never changes
// meaning, so it is cached for good. An SVG runs no script, whatever it
// holds, under its own policy.
func (a *App) showLogo(c *fiber.Ctx) error {
	hash := c.Params("hash")
	if len(hash) != 64 {
		return fiber.ErrNotFound
	}
	l, err := models.LogoByHash(c.UserContext(), a.db, hash)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, l.ContentType)
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	return c.Send(l.Data)
}

// showSiteCSS serves the accent colour as style: the policy allows no
// inline style element, and this way the colour is cached like any asset.
func (a *App) showSiteCSS(c *fiber.Ctx) error {
	s, err := a.site(c.UserContext())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	return c.SendString(siteCSS(s.Accent))
}

func siteCSS(accent string) string {
	if accent == "" {
		return "/* the built-in colours */\n"
	}
	dark := models.DarkAccent(accent)
	return ":root { --accent: " + accent + "; --accent-strong: " + accent + "; --accent-text: #ffffff; }\n" +
		"@media (prefers-color-scheme: dark) { :root { --accent: " + dark + "; --accent-strong: " + dark + "; --accent-text: #0f1016; } }\n"
}

// settingsForm is the site settings form as shown.
type settingsForm struct {
	Name, Welcome, Accent, Approval, Private, AllowedDomains string
	LogoHash                                                 string
	Errors                                                   map[string]string
}

func settingsFormOf(s *models.Site) settingsForm {
	return settingsForm{Name: s.Name, Welcome: s.Welcome, Accent: s.Accent, Approval: s.Approval,
		Private: onOff(s.Private), AllowedDomains: strings.Join(s.AllowedDomains, ", "), LogoHash: s.LogoHash}
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// formHas reports whether the posted form names the field at all.
func formHas(c *fiber.Ctx, key string) bool {
	if c.Request().PostArgs().Has(key) {
		return true
	}
	if f, err := c.MultipartForm(); err == nil {
		_, ok := f.Value[key]
		return ok
	}
	return false
}

// saveSiteSettings stores the settings form and its logo. A field the form
// leaves out keeps its value, so a script may change one setting alone.
func (a *App) saveSiteSettings(c *fiber.Ctx) error {
	cur, err := models.LoadSite(c.UserContext(), a.db)
	if err != nil {
		return err
	}
	was := settingsFormOf(cur)
	field := func(key, current string) string {
		if formHas(c, key) {
			return c.FormValue(key)
		}
		return current
	}
	in := models.SiteInput{
		Name: field("name", was.Name), Welcome: field("welcome", was.Welcome), Accent: field("accent_color", was.Accent),
		Approval: field("approval", was.Approval), Private: field("private", was.Private),
		AllowedDomains: field("allowed_domains", was.AllowedDomains),
		RemoveLogo:     c.FormValue("remove_logo") != "",
	}
	if fh, err := c.FormFile("logo"); err == nil && fh.Size > 0 {
		if fh.Size > models.LogoMaxBytes {
			return fiber.NewError(fiber.StatusRequestEntityTooLarge, "The logo must be 512 KB or smaller.")
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		in.Logo, err = io.ReadAll(io.LimitReader(f, models.LogoMaxBytes+1))
		_ = f.Close()
		if err != nil {
			return err
		}
	}
	user := currentUser(c)
	_, err = models.SaveSite(c.UserContext(), a.db, in, user)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		cur := a.siteOrDefault(c.UserContext())
		f := settingsForm{Name: in.Name, Welcome: in.Welcome, Accent: in.Accent, Approval: in.Approval,
			Private: in.Private, AllowedDomains: in.AllowedDomains, LogoHash: cur.LogoHash, Errors: ve.Fields}
		return a.renderAdmin(c, fiber.StatusUnprocessableEntity, adminView{settings: &f})
	}
	if err != nil {
		return err
	}
	a.forgetSite()
	a.log.Info("settings saved", "user", user.ID)
	return c.Redirect("/admin?saved=settings#settings", fiber.StatusSeeOther)
}
