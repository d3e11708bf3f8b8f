package app

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"mime"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models/markdown"
	"github.com/cluetrain/cluetrain/public"
)

// assets maps each file in public/ to a name carrying its content hash, so
// that it can be cached for a year and still change the moment it changes.
type assets struct {
	hashed map[string]string // style.css -> style.1a2b3c4d5e.css
	files  map[string][]byte // hashed name -> content
	types  map[string]string // hashed name -> content type
}

func loadAssets() (*assets, error) {
	as := &assets{hashed: map[string]string{}, files: map[string][]byte{}, types: map[string]string{}}
	err := fs.WalkDir(public.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(public.FS, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(p)
		name := strings.TrimSuffix(p, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		as.hashed[p] = name
		as.files[name] = body
		ctype := mime.TypeByExtension(ext)
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		as.types[name] = ctype
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load assets: %w", err)
	}
	return as, nil
}

// url is the public path of an asset; a missing asset fails the render.
func (as *assets) url(name string) (string, error) {
	h, ok := as.hashed[name]
	if !ok {
		return "", fmt.Errorf("no asset %q", name)
	}
	return "/static/" + h, nil
}

// serveAsset answers /static/:file for hashed names only.
func (a *App) serveAsset(c *fiber.Ctx) error {
	name := c.Params("file")
	body, ok := a.assets.files[name]
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, a.assets.types[name])
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	return c.Send(body)
}

func (a *App) templateFuncs() template.FuncMap {
	return template.FuncMap{
		"asset": a.assets.url,
		// safe marks HTML that was sanitized when it was written.
		"safe":    func(s string) template.HTML { return template.HTML(s) }, //nolint:gosec // stored HTML is sanitized on write
		"ago":     func(t time.Time) string { return ago(a.db.Now(), t) },
		"date":    func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
		"iso":     func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"excerpt": htmlExcerpt,
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return one
			}
			return many
		},
		"url": a.cfg.URL,
		"add": func(a, b int) int { return a + b },
	}
}

// htmlExcerpt is the start of sanitized HTML as the reader sees it, in plain
// text of at most n runes; the template escapes it.
func htmlExcerpt(html string, n int) string { return markdown.Truncate(markdown.PlainText(html), n) }

// ago says how long ago t was, in words.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return countUnit(int(d.Minutes()), "minute") + " ago"
	case d < 24*time.Hour:
		return countUnit(int(d.Hours()), "hour") + " ago"
	case d < 30*24*time.Hour:
		return countUnit(int(d.Hours()/24), "day") + " ago"
	case d < 365*24*time.Hour:
		return countUnit(int(math.Round(d.Hours()/24/30)), "month") + " ago"
	}
	return t.UTC().Format("Jan 2006")
}

func countUnit(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// render shows a page inside the main layout with the data every page needs.
func (a *App) render(c *fiber.Ctx, status int, page string, data fiber.Map) error {
	if data == nil {
		data = fiber.Map{}
	}
	user := currentUser(c)
	data["User"] = user
	data["CSRF"] = a.csrfToken(c)
	data["Path"] = c.Path()
	data["RequestURI"] = string(c.Request().RequestURI())
	data["BaseURL"] = a.cfg.BaseURL
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

// wantsJSON reports whether the client asked for JSON.
func wantsJSON(c *fiber.Ctx) bool {
	return strings.Contains(c.Get(fiber.HeaderAccept), fiber.MIMEApplicationJSON)
}
