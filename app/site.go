package app

import (
	"context"
	"encoding/xml"
	"strconv"
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

// sitemapURLsPerFile is the sitemap protocol's limit of URLs in one file.
// Past it /sitemap.xml becomes an index of paged sitemaps.
var sitemapURLsPerFile = 50000

// sitemapPages are the pages every sitemap's first file lists.
var sitemapPages = []string{"/", "/roadmap", "/changelog"}

const sitemapNS = "http://www.sitemaps.org/schemas/sitemap/0.9"

type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

type sitemapSet struct {
	XMLName xml.Name     `xml:"urlset"`
	NS      string       `xml:"xmlns,attr"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapIndex struct {
	XMLName  xml.Name     `xml:"sitemapindex"`
	NS       string       `xml:"xmlns,attr"`
	Sitemaps []sitemapURL `xml:"sitemap"`
}

// ideasPerSitemap is how many ideas one sitemap file lists: the first also
// lists the portal's own pages, and every file stays within the limit.
func ideasPerSitemap() int { return sitemapURLsPerFile - len(sitemapPages) }

// showSitemap lists the public pages and every public idea, each with the
// time of its last activity. While they fit in one file that file is the
// sitemap; past that it is an index of files of ideas by id
// (/sitemaps/ideas-AFTER.xml, each the ideas whose id is past AFTER), each
// with the latest activity among its ideas.
func (a *App) showSitemap(c *fiber.Ctx) error {
	if a.portalIsPrivate() {
		return sendXML(c, sitemapSet{NS: sitemapNS})
	}
	pages, err := models.SitemapPages(c.UserContext(), a.db, ideasPerSitemap())
	if err != nil {
		return err
	}
	if len(pages) == 1 {
		return a.sendSitemapFile(c, 0)
	}
	index := sitemapIndex{NS: sitemapNS}
	for _, p := range pages {
		u := sitemapURL{Loc: a.cfg.URL(sitemapFilePath(p.After))}
		if !p.LastMod.IsZero() {
			u.LastMod = p.LastMod.UTC().Format(time.RFC3339)
		}
		index.Sitemaps = append(index.Sitemaps, u)
	}
	return sendXML(c, index)
}

func sitemapFilePath(after int64) string {
	return "/sitemaps/ideas-" + strconv.FormatInt(after, 10) + ".xml"
}

// showSitemapFile is one file of a paged sitemap: /sitemaps/ideas-AFTER.xml.
func (a *App) showSitemapFile(c *fiber.Ctx) error {
	name := c.Params("file")
	num, ok := strings.CutPrefix(name, "ideas-")
	if ok {
		num, ok = strings.CutSuffix(num, ".xml")
	}
	after, err := strconv.ParseInt(num, 10, 64)
	// One spelling per file: no signs, no leading zeros.
	if !ok || err != nil || after < 0 || strconv.FormatInt(after, 10) != num {
		return fiber.ErrNotFound
	}
	if a.portalIsPrivate() {
		return sendXML(c, sitemapSet{NS: sitemapNS})
	}
	return a.sendSitemapFile(c, after)
}

// sendSitemapFile lists the public ideas whose id is past after, as many as
// one file holds, and the portal's own pages in the first file.
func (a *App) sendSitemapFile(c *fiber.Ctx, after int64) error {
	links, err := models.PublicIdeaLinks(c.UserContext(), a.db, after, ideasPerSitemap())
	if err != nil {
		return err
	}
	set := sitemapSet{NS: sitemapNS}
	if after == 0 {
		for _, p := range sitemapPages {
			set.URLs = append(set.URLs, sitemapURL{Loc: a.cfg.URL(p)})
		}
	}
	for _, l := range links {
		set.URLs = append(set.URLs, sitemapURL{Loc: a.cfg.URL(ideaPath(l.ID, l.Slug)), LastMod: l.LastActivityAt.UTC().Format(time.RFC3339)})
	}
	return sendXML(c, set)
}

func sendXML(c *fiber.Ctx, v any) error {
	out, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationXMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Send(append([]byte(xml.Header), out...))
}
