package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/app/feed"
	"github.com/cluetrain/cluetrain/models"
)

// Feeds are cached by readers and proxies for a short while, then asked
// again with a conditional GET, which costs one indexed query.
const feedCacheControl = "public, max-age=300"

// feedRevision is part of every feed ETag; change it when the documents
// change shape, so that readers fetch them again.
const feedRevision = "1"

// publisher names the portal in feeds that must name an author.
const publisher = "Cluetrain"

// showFeed answers /feeds/{roadmap,ideas,changelog}.{rss,atom,json}; the
// ideas feed takes the home page's board and status filters.
func (a *App) showFeed(c *fiber.Ctx) error {
	q := models.FeedQuery{Feed: c.Params("feed")}
	switch q.Feed {
	case models.FeedRoadmap, models.FeedChangelog:
	case models.FeedIdeas:
		q.Board, q.Status = c.Query("board"), c.Query("status")
	default:
		return fiber.ErrNotFound
	}
	return a.serveFeed(c, q)
}

// showBoardFeed answers /boards/:slug/feed.{rss,atom,json}: everything on
// one public board.
func (a *App) showBoardFeed(c *fiber.Ctx) error {
	return a.serveFeed(c, models.FeedQuery{Feed: models.FeedBoard, Board: c.Params("slug")})
}

// showIdeaFeed answers /ideas/:id/feed.{rss,atom,json}: one public idea's
// timeline.
func (a *App) showIdeaFeed(c *fiber.Ctx) error {
	id, err := ideaID(c)
	if err != nil {
		return err
	}
	return a.serveFeed(c, models.FeedQuery{Feed: models.FeedIdea, IdeaID: id})
}

// serveFeed answers a conditional GET from the feed's version alone, and
// builds the document only when the reader's copy is stale.
func (a *App) serveFeed(c *fiber.Ctx, q models.FeedQuery) error {
	format, ok := feed.ParseFormat(c.Params("format"))
	if !ok {
		return fiber.ErrNotFound
	}
	ctx := c.UserContext()
	stamp, err := models.FeedVersion(ctx, a.db, q)
	if err != nil {
		return err
	}
	// A named portal's feeds carry its name, so a new name is a new
	// version; an unnamed one's are as they always were.
	name := a.siteOrDefault(ctx).Name
	if name == models.DefaultSiteName {
		name = ""
	}
	etag := a.feedETag(q, format, stamp, name)
	c.Set(fiber.HeaderCacheControl, feedCacheControl)
	c.Set(fiber.HeaderETag, etag)
	if !stamp.At.IsZero() {
		c.Set(fiber.HeaderLastModified, stamp.At.UTC().Format(http.TimeFormat))
	}
	if notModified(c, etag, stamp.At) {
		c.Status(fiber.StatusNotModified)
		return nil
	}

	doc, err := a.feedDoc(ctx, q, format, stamp)
	if err != nil {
		return err
	}
	if name != "" {
		doc.Title, doc.Author = name+": "+doc.Title, name
	}
	body, err := feed.Render(format, doc)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, format.ContentType())
	return c.Send(body)
}

// feedETag names one version of one document: the newest event in the
// feed's scope, the scope itself and the format.
func (a *App) feedETag(q models.FeedQuery, format feed.Format, stamp models.FeedStamp, siteName string) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{
		feedRevision + siteName, a.cfg.BaseURL, q.Feed, q.Board, q.Status, strconv.FormatInt(q.IdeaID, 10), string(format),
	}, "\x00")))
	return `W/"` + strconv.FormatInt(stamp.EventID, 10) + "-" + hex.EncodeToString(sum[:8]) + `"`
}

// notModified reports whether the reader's copy is current. If-None-Match
// wins over If-Modified-Since, as RFC 9110 says.
func notModified(c *fiber.Ctx, etag string, at time.Time) bool {
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" {
		for _, tag := range strings.Split(inm, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" || strings.TrimPrefix(tag, "W/") == strings.TrimPrefix(etag, "W/") {
				return true
			}
		}
		return false
	}
	if ims := c.Get(fiber.HeaderIfModifiedSince); ims != "" && !at.IsZero() {
		t, err := http.ParseTime(ims)
		return err == nil && !at.Truncate(time.Second).After(t)
	}
	return false
}

// feedDoc builds a feed's document from its events.
func (a *App) feedDoc(ctx context.Context, q models.FeedQuery, format feed.Format, stamp models.FeedStamp) (feed.Doc, error) {
	doc := feed.Doc{Author: publisher, Updated: stamp.At}
	if doc.Updated.IsZero() {
		doc.Updated = a.db.Now()
	}
	var path string
	switch q.Feed {
	case models.FeedRoadmap:
		path = "/feeds/roadmap"
		doc.Title, doc.Link = "Roadmap updates", a.cfg.URL("/roadmap")
		doc.Description = "Every move onto, along and off the roadmap, with our public responses."
	case models.FeedChangelog:
		path = "/feeds/changelog"
		doc.Title, doc.Link = "Changelog", a.cfg.URL("/changelog")
		doc.Description = "Ideas that have shipped, with the announcements."
	case models.FeedIdeas:
		doc.Title, doc.Description = "New ideas", "Ideas as they are posted."
		filter := url.Values{}
		if q.Board != "" {
			board, err := models.BoardBySlug(ctx, a.db, q.Board, nil)
			if err != nil {
				return doc, err
			}
			doc.Title += " in " + board.Name
			filter.Set("board", board.Slug)
		}
		if q.Status != "" {
			status, err := models.StatusBySlug(ctx, a.db, q.Status)
			if err != nil {
				return doc, err
			}
			doc.Title += " (" + status.Name + ")"
			filter.Set("status", status.Slug)
		}
		path, doc.Link = "/feeds/ideas", a.cfg.URL("/")
		if len(filter) > 0 {
			path += "?" + filter.Encode()
			doc.Link += "?" + filter.Encode()
		}
	case models.FeedBoard:
		board, err := models.BoardBySlug(ctx, a.db, q.Board, nil)
		if err != nil {
			return doc, err
		}
		path = boardFeedPath(board)
		doc.Title, doc.Link = board.Name, a.cfg.URL("/?board="+url.QueryEscape(board.Slug))
		doc.Description = board.Description
		if doc.Description == "" {
			doc.Description = "Everything on the " + board.Name + " board."
		}
	case models.FeedIdea:
		idea, err := models.IdeaByID(ctx, a.db, q.IdeaID, nil)
		if err != nil {
			return doc, err
		}
		path = ideaFeedPath(idea.ID)
		doc.Title, doc.Link = idea.Title, a.cfg.URL(ideaPath(idea.ID, idea.Slug))
		doc.Description = "Status changes, responses and comments on this idea."
	}
	doc.Self = a.cfg.URL(withExt(path, string(format)))

	items, err := models.FeedEvents(ctx, a.db, q)
	if err != nil {
		return doc, err
	}
	for _, it := range items {
		doc.Items = append(doc.Items, a.feedItem(it))
	}
	return doc, nil
}

// feedItem turns an event into an entry whose title names its idea.
func (a *App) feedItem(it models.FeedItem) feed.Item {
	actor := it.Actor
	if actor == "" {
		actor = "Someone"
	}
	out := feed.Item{
		ID:        a.eventID(it.EventID),
		Link:      a.cfg.URL(ideaPath(it.IdeaID, it.IdeaSlug)),
		Author:    it.Actor,
		Published: it.At,
		HTML:      it.HTML,
	}
	switch it.Kind {
	case models.EventIdeaCreated:
		out.Title = "New idea: " + it.IdeaTitle
		out.Summary = actor + " posted a new idea on " + it.BoardName + "."
	case models.EventStatusChanged:
		switch {
		case it.Shipped:
			out.Title = "Shipped: " + it.IdeaTitle
		case it.From == it.To:
			out.Title = "Response: " + it.IdeaTitle
		default:
			out.Title = it.ToName + ": " + it.IdeaTitle
		}
		out.Summary = "Now " + it.ToName + "."
		line := "<strong>" + html.EscapeString(it.ToName) + "</strong>"
		if it.FromName != "" && it.From != it.To {
			out.Summary = "Now " + it.ToName + " (was " + it.FromName + ")."
			line = html.EscapeString(it.FromName) + " → " + line
		}
		out.HTML = "<p>Status: " + line + "</p>\n" + it.HTML
	case models.EventCommented:
		out.Title = "Comment on " + it.IdeaTitle
		out.Link += "#comment-" + strconv.FormatInt(it.CommentID, 10)
		out.Summary = actor + " commented."
		if it.StaffComment {
			out.Summary = actor + " answered for the team."
		}
	case models.EventRoadmapMoved:
		out.Title = "Moved on the roadmap: " + it.IdeaTitle
		out.Summary = "Moved on the roadmap."
		if it.ToName != "" {
			out.Summary = "Moved on the roadmap, in " + it.ToName + "."
		}
		out.HTML = "<p>" + html.EscapeString(out.Summary) + "</p>\n" + it.HTML
	}
	return out
}

// eventID is an event's permanent id in every feed: a tag URI (RFC 4151)
// minted from BASE_URL, so it never depends on the request.
func (a *App) eventID(id int64) string {
	host := a.cfg.BaseURL
	if a.cfg.Base != nil {
		host = a.cfg.Base.Hostname() + a.cfg.Base.Path
	}
	return "tag:" + host + ",2026:events/" + strconv.FormatInt(id, 10)
}

// withExt puts a format's extension on a feed path, before any query.
func withExt(path, ext string) string {
	p, query, ok := strings.Cut(path, "?")
	if ok {
		return p + "." + ext + "?" + query
	}
	return p + "." + ext
}

func boardFeedPath(b *models.Board) string {
	return "/boards/" + url.PathEscape(b.Slug) + "/feed"
}

// feedLink is one feed document a page announces in its head (Type, Title,
// Href, as the layout reads them) and offers by its Label.
type feedLink struct {
	Type  string
	Title string
	Href  string
	Label string
}

// follow is what a page needs to offer a feed in every format: Links go to
// the page data's "Feeds" (the layout's <link rel="alternate">), and the
// whole value to the "partials/follow" template (the visible Follow links).
type follow struct {
	Title string
	Links []feedLink
}

// feedLinks offers the feed at path (without extension, with any query,
// e.g. "/feeds/roadmap" or "/feeds/ideas?board=mobile") under a title.
func feedLinks(path, title string) follow {
	f := follow{Title: title}
	for _, format := range feed.Formats {
		f.Links = append(f.Links, feedLink{
			Type:  strings.TrimSuffix(format.ContentType(), "; charset=utf-8"),
			Title: title + " (" + format.Label() + ")",
			Href:  withExt(path, string(format)),
			Label: format.Label(),
		})
	}
	return f
}

// noCookies marks a response that must not set a cookie, even on an error
// page: feeds are shared documents, cached by proxies.
func noCookies(c *fiber.Ctx) error {
	c.Locals(localNoCookies, true)
	return c.Next()
}
