package app

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/uptrace/bun"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// parseFeed reads a document with a real feed parser.
func parseFeed(t *testing.T, doc string) *gofeed.Feed {
	t.Helper()
	f, err := gofeed.NewParser().ParseString(doc)
	if err != nil {
		t.Fatalf("feed does not parse: %v\n%s", err, excerptOf(doc))
	}
	return f
}

func titles(f *gofeed.Feed) []string {
	out := []string{}
	for _, it := range f.Items {
		out = append(out, it.Title)
	}
	return out
}

// TestFeedsGolden fetches every feed in every format, compares it with its
// golden file, parses it, and checks exactly which items it carries.
func TestFeedsGolden(t *testing.T) {
	cases := []struct {
		name, path string
		titles     []string
		feedType   string
	}{
		{"roadmap", "/feeds/roadmap", []string{
			"Declined: Fax support", "Planned: Fax support", "Shipped: Export reports as CSV",
			"Moved on the roadmap: Export reports as CSV", "In progress: Export reports as CSV",
			"Planned: Export reports as CSV"}, ""},
		{"ideas", "/feeds/ideas", []string{
			"New idea: Fax support", "New idea: " + nastyTitle, "New idea: Export reports as CSV"}, ""},
		{"changelog", "/feeds/changelog", []string{"Shipped: Export reports as CSV"}, ""},
		{"board", "/boards/feature-requests/feed", []string{
			"Declined: Fax support", "Planned: Fax support", "New idea: Fax support",
			"Shipped: Export reports as CSV", "Comment on Export reports as CSV",
			"Moved on the roadmap: Export reports as CSV", "In progress: Export reports as CSV",
			"Comment on Export reports as CSV", "Planned: Export reports as CSV", "New idea: Export reports as CSV"}, ""},
		{"idea", "/ideas/1/feed", []string{
			"Shipped: Export reports as CSV", "Comment on Export reports as CSV", "In progress: Export reports as CSV",
			"Comment on Export reports as CSV", "Planned: Export reports as CSV", "New idea: Export reports as CSV"}, ""},
	}
	formats := []struct{ ext, ctype, feedType string }{
		{"rss", "application/rss+xml; charset=utf-8", "rss"},
		{"atom", "application/atom+xml; charset=utf-8", "atom"},
		{"json", "application/feed+json; charset=utf-8", "json"},
	}
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		w := newFeedWorld(t, ta)
		if w.csv.ID != 1 {
			t.Fatalf("the export idea has id %d; the golden files expect 1", w.csv.ID)
		}
		c := ta.client()
		for _, tc := range cases {
			for _, f := range formats {
				t.Run(tc.name+"."+f.ext, func(t *testing.T) {
					resp := c.get(tc.path+"."+f.ext, "Host", "evil.example")
					doc := wantStatus(t, resp, http.StatusOK)
					if ct := resp.Header.Get("Content-Type"); ct != f.ctype {
						t.Errorf("Content-Type = %q, want %q", ct, f.ctype)
					}
					if strings.Contains(doc, "evil.example") {
						t.Error("the feed took a link from the request's Host header")
					}
					if strings.Contains(strings.ToLower(doc), "<script") {
						t.Error("the feed carries a script tag")
					}
					checkGolden(t, filepath.Join("feeds", tc.name+"."+f.ext), doc)

					parsed := parseFeed(t, doc)
					if parsed.FeedType != f.feedType {
						t.Errorf("parsed as %q, want %q", parsed.FeedType, f.feedType)
					}
					if got := titles(parsed); !reflect.DeepEqual(got, tc.titles) {
						t.Errorf("titles:\n got %q\nwant %q", got, tc.titles)
					}
					seen := map[string]bool{}
					for _, it := range parsed.Items {
						if !strings.HasPrefix(it.GUID, "tag:portal.test,2026:events/") || seen[it.GUID] {
							t.Errorf("item id %q is not a fresh event tag", it.GUID)
						}
						seen[it.GUID] = true
						if !strings.HasPrefix(it.Link, "http://portal.test/ideas/") {
							t.Errorf("item link %q is not an absolute idea URL", it.Link)
						}
						if it.PublishedParsed == nil || it.PublishedParsed.IsZero() {
							t.Errorf("item %q has no published time", it.Title)
						}
					}
				})
			}
		}
	})
}

// TestFeedHostileTextRoundTrips checks that titles and bodies with &, <,
// ]]> and script tags come out of every format as the same text, with the
// scripts gone from the HTML.
func TestFeedHostileTextRoundTrips(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		w := newFeedWorld(t, ta)
		c := ta.client()
		for _, ext := range []string{"rss", "atom", "json"} {
			doc := wantStatus(t, c.get(fmt.Sprintf("/ideas/%d/feed.%s", w.nasty.ID, ext)), http.StatusOK)
			f := parseFeed(t, doc)
			if f.Title != nastyTitle {
				t.Errorf("%s: feed title = %q, want %q", ext, f.Title, nastyTitle)
			}
			got := titles(f)
			want := []string{"Under review: " + nastyTitle, "New idea: " + nastyTitle}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: titles = %q, want %q", ext, got, want)
			}
			created := f.Items[1]
			content := created.Content
			// Raw HTML in markdown is dropped when written; the text stays.
			if content != "<p>Tom &amp; Jerry alert(1) say ]]&gt; and hi</p>\n" {
				t.Errorf("%s: content = %q", ext, content)
			}
			if !strings.Contains(f.Items[0].Content, "<p>Looking into it.</p>") {
				t.Errorf("%s: response content = %q", ext, f.Items[0].Content)
			}
			if strings.Contains(strings.ToLower(doc), "<script") {
				t.Errorf("%s: document carries a raw script tag", ext)
			}
		}
		// A comment's author name is text too.
		doc := wantStatus(t, c.get(fmt.Sprintf("/ideas/%d/feed.atom", w.csv.ID)), http.StatusOK)
		f := parseFeed(t, doc)
		if a := f.Items[1].Author; a == nil || a.Name != "Sam <Support> & Co" {
			t.Errorf("staff comment author = %+v", a)
		}
	})
}

// TestFeedsShowOnlyPublicItems asks for every private or unknown thing.
func TestFeedsShowOnlyPublicItems(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		w := newFeedWorld(t, ta)
		c := ta.client()
		for _, path := range []string{
			"/boards/secret/feed.rss",
			"/boards/nope/feed.atom",
			"/feeds/ideas.rss?board=secret",
			"/feeds/ideas.rss?board=nope",
			"/feeds/ideas.json?status=nope",
			fmt.Sprintf("/ideas/%d/feed.rss", w.secretIdea.ID),
			fmt.Sprintf("/ideas/%d/feed.rss", w.hiddenIdea.ID),
			fmt.Sprintf("/ideas/%d/feed.json", w.merged.ID),
			"/ideas/9999/feed.rss",
			"/ideas/abc/feed.rss",
			"/ideas/01/feed.rss",
			"/ideas/0/feed.rss",
			"/ideas/-1/feed.rss",
			"/feeds/nope.rss",
			"/feeds/roadmap.xml",
			"/feeds/roadmap",
			"/boards/feature-requests/feed.html",
		} {
			resp := c.get(path)
			wantStatus(t, resp, http.StatusNotFound)
			if sc := resp.Header.Values("Set-Cookie"); len(sc) > 0 {
				t.Errorf("%s: 404 set cookies %q", path, sc)
			}
		}
		// Staff see private things on pages, never in feeds.
		staff := ta.client()
		staff.signInAs(w.sam)
		wantStatus(t, staff.get("/boards/secret/feed.rss"), http.StatusNotFound)

		for _, path := range []string{"/feeds/roadmap.rss", "/feeds/ideas.rss", "/boards/feature-requests/feed.rss", "/ideas/1/feed.rss", "/feeds/changelog.rss"} {
			doc := wantStatus(t, staff.get(path), http.StatusOK)
			for _, secret := range []string{"Acquire a competitor", "Secret response", "Buy cheap pills", "Hidden response",
				"Visit my spam site", "CSV export please", "Comment on the duplicate"} {
				if strings.Contains(doc, secret) {
					t.Errorf("%s shows %q", path, secret)
				}
			}
		}

		// Filters of the ideas feed.
		for path, want := range map[string][]string{
			"/feeds/ideas.rss?board=mobile":                  {"New idea: " + nastyTitle},
			"/feeds/ideas.rss?status=done":                   {"New idea: Export reports as CSV"},
			"/feeds/ideas.rss?board=mobile&status=done":      {},
			"/feeds/ideas.rss?board=feature-requests":        {"New idea: Fax support", "New idea: Export reports as CSV"},
			"/boards/mobile/feed.json":                       {"Under review: " + nastyTitle, "New idea: " + nastyTitle},
			"/feeds/ideas.atom?board=feature-requests&x=1":   {"New idea: Fax support", "New idea: Export reports as CSV"},
			"/feeds/ideas.json?status=declined&board=":       {"New idea: Fax support"},
			"/feeds/changelog.json?board=mobile&status=open": {"Shipped: Export reports as CSV"},
		} {
			f := parseFeed(t, wantStatus(t, c.get(path), http.StatusOK))
			if got := titles(f); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: titles = %q, want %q", path, got, want)
			}
		}
		f := parseFeed(t, wantStatus(t, c.get("/feeds/ideas.atom?board=mobile&status=under_review"), http.StatusOK))
		if f.Title != "New ideas in Mobile apps (Under review)" || f.Link != "http://portal.test/?board=mobile&status=under_review" {
			t.Errorf("filtered feed: title %q, link %q", f.Title, f.Link)
		}
	})
}

// TestFeedConditionalGet checks ETag and Last-Modified, 304s, caching
// headers, and that a feed never sets or slides a cookie.
func TestFeedConditionalGet(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		w := newFeedWorld(t, ta)
		c := ta.client()
		c.signInAs(w.ada)

		for _, path := range []string{"/feeds/roadmap.rss", "/feeds/ideas.atom", "/feeds/changelog.json", "/boards/mobile/feed.rss", "/ideas/1/feed.json", "/feeds/ideas.rss?board=mobile"} {
			resp := c.get(path)
			wantStatus(t, resp, http.StatusOK)
			etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
			if !strings.HasPrefix(etag, `W/"`) || lm == "" {
				t.Fatalf("%s: ETag %q, Last-Modified %q", path, etag, lm)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=300" {
				t.Errorf("%s: Cache-Control = %q", path, cc)
			}
			if sc := resp.Header.Values("Set-Cookie"); len(sc) > 0 {
				t.Errorf("%s: set cookies %q", path, sc)
			}
			for _, h := range [][]string{
				{"If-None-Match", etag},
				{"If-None-Match", strings.TrimPrefix(etag, "W/")},
				{"If-None-Match", `"other", ` + etag},
				{"If-Modified-Since", lm},
			} {
				resp := c.get(path, h...)
				if b := wantStatus(t, resp, http.StatusNotModified); b != "" {
					t.Errorf("%s with %s: 304 has a body %q", path, h[0], b)
				}
				if resp.Header.Get("ETag") != etag || resp.Header.Get("Last-Modified") != lm {
					t.Errorf("%s with %s: 304 headers ETag %q Last-Modified %q", path, h[0], resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"))
				}
				if sc := resp.Header.Values("Set-Cookie"); len(sc) > 0 {
					t.Errorf("%s: 304 set cookies %q", path, sc)
				}
			}
			wantStatus(t, c.get(path, "If-None-Match", `W/"0-0"`), http.StatusOK)
			wantStatus(t, c.get(path, "If-None-Match", `W/"0-0"`, "If-Modified-Since", lm), http.StatusOK)
			wantStatus(t, c.get(path, "If-Modified-Since", "Mon, 02 Jan 2006 15:04:05 GMT"), http.StatusOK)
		}

		// Formats and scopes never share an ETag.
		tags := map[string]string{}
		for _, path := range []string{"/feeds/roadmap.rss", "/feeds/roadmap.atom", "/feeds/ideas.rss", "/feeds/ideas.rss?board=feature-requests", "/boards/feature-requests/feed.rss"} {
			resp := c.get(path)
			wantStatus(t, resp, http.StatusOK)
			etag := resp.Header.Get("ETag")
			if other, ok := tags[etag]; ok {
				t.Errorf("%s and %s share ETag %s", path, other, etag)
			}
			tags[etag] = path
		}

		// Any new event in scope, even one that is not an item (a comment
		// hidden), changes the version.
		resp := c.get("/ideas/1/feed.rss")
		wantStatus(t, resp, http.StatusOK)
		etag := resp.Header.Get("ETag")
		w.hideComment(w.csv, w.adaOnCSV)
		resp = c.get("/ideas/1/feed.rss", "If-None-Match", etag)
		wantStatus(t, resp, http.StatusOK)
		if resp.Header.Get("ETag") == etag {
			t.Error("the ETag did not change with a new event")
		}
	})
}

// queryCounter counts the statements the database runs.
type queryCounter struct{ n atomic.Int64 }

func (q *queryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}
func (q *queryCounter) AfterQuery(context.Context, *bun.QueryEvent) { q.n.Add(1) }

// TestFeedNotModifiedCostsOneQuery: an unchanged feed is answered from its
// version, even for a signed-in reader, without building the document. (The
// site settings are kept per data version, which an instance reads at most
// once a window for all its requests: the window here is long, so that
// reading is not counted against the one request.)
func TestFeedNotModifiedCostsOneQuery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		counter := &queryCounter{}
		ta := newTestApp(t, db.WithQueryHook(counter), WithPageCache(defaultCacheBytes, time.Hour))
		w := newFeedWorld(t, ta)
		c := ta.client()
		c.signInAs(w.ada)
		for _, path := range []string{"/feeds/roadmap.rss", "/feeds/ideas.atom?board=mobile&status=under_review", "/feeds/changelog.json", "/boards/feature-requests/feed.atom", "/ideas/1/feed.json"} {
			resp := c.get(path)
			wantStatus(t, resp, http.StatusOK)
			etag := resp.Header.Get("ETag")
			counter.n.Store(0)
			wantStatus(t, c.get(path, "If-None-Match", etag), http.StatusNotModified)
			if n := counter.n.Load(); n != 1 {
				t.Errorf("%s: a 304 ran %d queries, want 1", path, n)
			}
			counter.n.Store(0)
			wantStatus(t, c.get("/ideas/1/feed.json", "If-None-Match", `W/"1-0"`), http.StatusOK)
			if n := counter.n.Load(); n < 2 {
				t.Errorf("a rebuild ran %d queries; the counter is not counting", n)
			}
		}
	})
}

// TestPagesOfferFeeds checks the home page's alternates and Follow links.
func TestPagesOfferFeeds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		newFeedWorld(t, ta)
		c := ta.client()
		// html/template writes the "+" of a media type as &#43; in an
		// attribute, which every HTML parser reads back as "+".
		page := strings.ReplaceAll(wantStatus(t, c.get("/"), http.StatusOK), "&#43;", "+")
		for _, want := range []string{
			`<link rel="alternate" type="application/rss+xml" title="New ideas (RSS)" href="http://portal.test/feeds/ideas.rss">`,
			`<link rel="alternate" type="application/atom+xml" title="New ideas (Atom)" href="http://portal.test/feeds/ideas.atom">`,
			`<link rel="alternate" type="application/feed+json" title="New ideas (JSON Feed)" href="http://portal.test/feeds/ideas.json">`,
			`<p class="follow"><span class="follow-label">Follow<span class="visually-hidden"> New ideas</span>:</span> <a href="/feeds/ideas.rss" title="New ideas (RSS)">RSS</a><span class="follow-sep" aria-hidden="true">·</span> <a href="/feeds/ideas.atom" title="New ideas (Atom)">Atom</a><span class="follow-sep" aria-hidden="true">·</span> <a href="/feeds/ideas.json" title="New ideas (JSON Feed)">JSON Feed</a></p>`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("home page lacks %s", want)
			}
		}
		page = strings.ReplaceAll(wantStatus(t, c.get("/?board=mobile"), http.StatusOK), "&#43;", "+")
		for _, want := range []string{
			`<link rel="alternate" type="application/rss+xml" title="Mobile apps (RSS)" href="http://portal.test/boards/mobile/feed.rss">`,
			`<link rel="alternate" type="application/rss+xml" title="New ideas (RSS)" href="http://portal.test/feeds/ideas.rss">`,
			`<a href="/boards/mobile/feed.json" title="Mobile apps (JSON Feed)">JSON Feed</a>`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("board page lacks %s", want)
			}
		}
		// Every announced feed answers.
		for _, path := range []string{"/boards/mobile/feed.rss", "/boards/mobile/feed.atom", "/boards/mobile/feed.json", "/feeds/ideas.json"} {
			parseFeed(t, wantStatus(t, c.get(path), http.StatusOK))
		}
		// A private board's page (seen by staff) offers no feed of it.
		staff := ta.client()
		staff.signInAs(dbtest.User(t, db, "Pat", "pat@example.com", models.RoleStaff))
		page = wantStatus(t, staff.get("/?board=secret"), http.StatusOK)
		if strings.Contains(page, "/boards/secret/feed") {
			t.Error("a private board's page offers its feed")
		}
	})
}

// TestFeedEmpty: a portal without events still serves valid feeds.
func TestFeedEmpty(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		c := newTestApp(t, db).client()
		for _, ext := range []string{"rss", "atom", "json"} {
			resp := c.get("/feeds/changelog." + ext)
			f := parseFeed(t, wantStatus(t, resp, http.StatusOK))
			if len(f.Items) != 0 || f.Title != "Changelog" {
				t.Errorf("%s: %d items, title %q", ext, len(f.Items), f.Title)
			}
			if resp.Header.Get("Last-Modified") != "" {
				t.Errorf("%s: Last-Modified %q without events", ext, resp.Header.Get("Last-Modified"))
			}
			wantStatus(t, c.get("/feeds/changelog."+ext, "If-None-Match", resp.Header.Get("ETag")), http.StatusNotModified)
		}
	})
}

// TestFeedChangesWhenStaffHideAnIdea: hiding is an event, so a reader's
// cached copy is replaced and the idea leaves the feed.
func TestFeedChangesWhenStaffHideAnIdea(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		w := newFeedWorld(t, ta)
		c := ta.client()
		resp := c.get("/feeds/ideas.rss")
		before := wantStatus(t, resp, http.StatusOK)
		etag := resp.Header.Get("ETag")
		if !strings.Contains(before, "Export reports as CSV") {
			t.Fatalf("the ideas feed lacks the idea to hide:\n%s", before)
		}
		if err := models.HideIdea(context.Background(), db, w.csv.ID, w.sam, true); err != nil {
			t.Fatal(err)
		}
		resp = c.get("/feeds/ideas.rss", "If-None-Match", etag)
		after := wantStatus(t, resp, http.StatusOK)
		if resp.Header.Get("ETag") == etag {
			t.Error("the ETag did not change when an idea was hidden")
		}
		if strings.Contains(after, "Export reports as CSV") {
			t.Error("a hidden idea is still in the feed")
		}
	})
}
