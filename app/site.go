package app

import (
	"context"
	"encoding/xml"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// What the portal answers to machines: health checks and crawlers.

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
	site, err := a.site(c.UserContext())
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("User-agent: *\n")
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	if site.Private {
		// A private portal has nothing for crawlers.
		c.Set(fiber.HeaderCacheControl, "no-cache")
		return c.SendString(b.String() + "Disallow: /\n")
	}
	for _, p := range []string{"/login", "/auth/", "/ideas/new", "/triage", "/admin", "/ideas/similar"} {
		b.WriteString("Disallow: " + p + "\n")
	}
	b.WriteString("\nSitemap: " + a.cfg.URL("/sitemap.xml") + "\n")
	c.Set(fiber.HeaderCacheControl, "no-cache")
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

// showSitemap lists the public pages and every public idea; a private
// portal's is empty.
func (a *App) showSitemap(c *fiber.Ctx) error {
	site, err := a.site(c.UserContext())
	if err != nil {
		return err
	}
	set := sitemapSet{NS: "http://www.sitemaps.org/schemas/sitemap/0.9"}
	var links []models.IdeaLink
	if !site.Private {
		links, err = models.PublicIdeaLinks(c.UserContext(), a.db, 50000-3)
		if err != nil {
			return err
		}
		for _, p := range []string{"/", "/roadmap", "/changelog"} {
			set.URLs = append(set.URLs, sitemapURL{Loc: a.cfg.URL(p)})
		}
	}
	for _, l := range links {
		set.URLs = append(set.URLs, sitemapURL{Loc: a.cfg.URL(ideaPath(l.ID, l.Slug)), LastMod: l.UpdatedAt.UTC().Format(time.RFC3339)})
	}
	out, err := xml.MarshalIndent(set, "", "  ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationXMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Send(append([]byte(xml.Header), out...))
}
