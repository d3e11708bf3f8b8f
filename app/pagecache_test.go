package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// oneVote is how a signed-out idea page shows one vote.
const oneVote = `<span class="vote-count">1</span>`

func TestPageCacheServesSignedOutPagesUntilAnythingChanges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		cast := dbtest.People(t, db)
		idea := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: cast.Ann, Title: "Dark mode for the editor"})
		visitor := &client{ta: ta, cookies: map[string]string{}}

		for _, path := range []string{"/", "/?sort=top", ideaPath(idea.ID, idea.Slug), "/roadmap", "/changelog", "/feeds/ideas.atom", "/sitemap.xml"} {
			first := visitor.get(path, "Accept-Encoding", "gzip")
			firstBody := wantStatus(t, first, http.StatusOK)
			if got := first.Header.Get("X-Cache"); got != "" {
				t.Fatalf("%s: first answer X-Cache = %q, want a miss", path, got)
			}
			if ck := first.Header.Values("Set-Cookie"); len(ck) != 0 {
				t.Fatalf("%s: a signed-out page set cookies %q", path, ck)
			}
			second := visitor.get(path, "Accept-Encoding", "gzip")
			secondBody := wantStatus(t, second, http.StatusOK)
			if got := second.Header.Get("X-Cache"); got != "hit" {
				t.Fatalf("%s: second answer X-Cache = %q, want hit", path, got)
			}
			if secondBody != firstBody {
				t.Fatalf("%s: the cached body differs from the first", path)
			}
			for _, h := range []string{"Content-Type", "Content-Encoding", "ETag", "Vary", "Cache-Control"} {
				if first.Header.Get(h) != second.Header.Get(h) {
					t.Fatalf("%s: %s was %q, from the cache %q", path, h, first.Header.Get(h), second.Header.Get(h))
				}
			}
			if second.Header.Get("Content-Security-Policy") == "" || second.Header.Get("X-Request-ID") == first.Header.Get("X-Request-ID") {
				t.Fatalf("%s: a hit lost its security headers or reused the request id", path)
			}
			// The other encoding is its own entry.
			if plain := visitor.get(path); plain.Header.Get("Content-Encoding") != "" || plain.Header.Get("X-Cache") != "" {
				t.Fatalf("%s: without Accept-Encoding got encoding %q, X-Cache %q", path, plain.Header.Get("Content-Encoding"), plain.Header.Get("X-Cache"))
			}
		}
		if got := ta.pages.hits.Load(); got != 7 {
			t.Fatalf("hits = %d, want 7", got)
		}

		// A HEAD is answered from the kept GET: its headers, no body. One
		// that misses is rendered and not kept.
		gzipped := visitor.get("/", "Accept-Encoding", "gzip")
		body := wantStatus(t, gzipped, http.StatusOK)
		head := visitor.do(headRequest("/", "Accept-Encoding", "gzip"))
		if got := wantStatus(t, head, http.StatusOK); got != "" || head.Header.Get("X-Cache") != "hit" ||
			head.Header.Get("Content-Length") != strconv.Itoa(len(body)) || head.Header.Get("ETag") != gzipped.Header.Get("ETag") {
			t.Fatalf("HEAD /: X-Cache %q, Content-Length %q (GET's body %d), ETag %q, body %d bytes",
				head.Header.Get("X-Cache"), head.Header.Get("Content-Length"), len(body), head.Header.Get("ETag"), len(got))
		}
		for range 2 {
			if miss := visitor.do(headRequest("/?sort=new")); miss.StatusCode != http.StatusOK || miss.Header.Get("X-Cache") != "" {
				t.Fatalf("HEAD of a page not kept: status %d, X-Cache %q", miss.StatusCode, miss.Header.Get("X-Cache"))
			}
		}
		if got := ta.pages.hits.Load(); got != 9 {
			t.Fatalf("hits = %d, want 9", got)
		}

		// The short address redirects to the canonical one, from the
		// cache the second time.
		for i, want := range []string{"", "hit"} {
			resp := visitor.get(fmt.Sprintf("/ideas/%d", idea.ID))
			wantStatus(t, resp, http.StatusMovedPermanently)
			if resp.Header.Get("Location") != ideaPath(idea.ID, idea.Slug) || resp.Header.Get("X-Cache") != want {
				t.Fatalf("short address, request %d: Location %q, X-Cache %q", i+1, resp.Header.Get("Location"), resp.Header.Get("X-Cache"))
			}
		}

		// A write that never passed through the app (a fixture, another
		// instance, psql) shows on the next request.
		dbtest.Vote(t, db, idea, cast.Staff, db.Now())
		resp := visitor.get(ideaPath(idea.ID, idea.Slug))
		page := wantStatus(t, resp, http.StatusOK)
		if resp.Header.Get("X-Cache") != "" || !strings.Contains(page, oneVote) {
			t.Fatalf("after a vote: X-Cache %q, page shows the vote: %v", resp.Header.Get("X-Cache"), strings.Contains(page, oneVote))
		}

		// A reader whose copy is current gets 304 from the cache.
		again := visitor.get(ideaPath(idea.ID, idea.Slug), "If-None-Match", resp.Header.Get("ETag"))
		wantStatus(t, again, http.StatusNotModified)
		if again.Header.Get("X-Cache") != "hit" {
			t.Fatalf("the conditional GET was not answered from the cache")
		}
	})
}

func TestPageCacheNeverKeepsPersonalAnswers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		cast := dbtest.People(t, db)
		dbtest.Idea(t, db, dbtest.IdeaSpec{Author: cast.Ann, Title: "Export to CSV"})

		// Signed in: never from the cache, never into it.
		member := ta.client()
		member.signInAs(cast.Ann)
		for range 2 {
			resp := member.get("/")
			page := wantStatus(t, resp, http.StatusOK)
			if resp.Header.Get("X-Cache") != "" || !strings.Contains(page, cast.Ann.Name) {
				t.Fatalf("a signed-in page came from the cache (X-Cache %q)", resp.Header.Get("X-Cache"))
			}
		}
		if n, _ := ta.pages.stats(); n != 0 {
			t.Fatalf("signed-in pages left %d cache entries", n)
		}

		// A page that prints a form carries a CSRF token bound to the
		// browser: it is never kept.
		ta.fiber.Get("/feeds/form-test", func(c *fiber.Ctx) error { return ta.render(c, fiber.StatusOK, "login", nil) })
		visitor := &client{ta: ta, cookies: map[string]string{}}
		for range 2 {
			resp := (&client{ta: ta, cookies: map[string]string{}}).get("/feeds/form-test")
			wantStatus(t, resp, http.StatusOK)
			if resp.Header.Get("X-Cache") != "" || len(resp.Header.Values("Set-Cookie")) != 1 {
				t.Fatalf("a form page: X-Cache %q, cookies %q", resp.Header.Get("X-Cache"), resp.Header.Values("Set-Cookie"))
			}
		}

		// JSON, errors and pages outside the list are not kept either.
		for _, r := range []struct {
			path    string
			headers []string
		}{
			{"/", []string{"Accept", "application/json"}},
			{"/ideas/999999", nil},
			{"/ideas/new", nil},
			{"/login", nil},
			{"/ideas/similar?q=csv", nil},
		} {
			visitor.get(r.path, r.headers...)
			if resp := visitor.get(r.path, r.headers...); resp.Header.Get("X-Cache") != "" {
				t.Fatalf("%s %v came from the cache", r.path, r.headers)
			}
		}
		if n, _ := ta.pages.stats(); n != 0 {
			t.Fatalf("personal or failed answers left %d cache entries", n)
		}
	})
}

// Two instances on one database: a vote cast through one shows on the
// other's signed-out page within its window.
func TestPageCacheSeesWritesOfAnotherInstance(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		one := newTestApp(t, db)
		two := newTestApp(t, db, WithPageCache(defaultCacheBytes, 200*time.Millisecond))
		cast := dbtest.People(t, db)
		idea := dbtest.PostIdea(t, db, cast.Ann, "Keyboard shortcuts", "j and k to move")
		path := ideaPath(idea.ID, idea.Slug)
		reader := &client{ta: two, cookies: map[string]string{}}
		wantStatus(t, reader.get(path), http.StatusOK)
		if resp := reader.get(path); resp.Header.Get("X-Cache") != "hit" {
			t.Fatalf("the second read was not a hit")
		}

		voter := one.client()
		voter.signInAs(cast.Staff)
		wantStatus(t, voter.post(fmt.Sprintf("/ideas/%d/vote", idea.ID), nil, "Accept", "application/json"), http.StatusOK)

		waitUntil(t, 5*time.Second, "the other instance shows the vote", func() bool {
			return strings.Contains(body(t, reader.get(path)), oneVote)
		})
	})
}

func TestPageCacheIsBoundedByBytes(t *testing.T) {
	pc := newPageCache(8 * 1024)
	page := func(key string) *cachedPage { return &cachedPage{key: key, body: make([]byte, 700)} }
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		pc.put(page(k))
		if k == "h" {
			pc.lookup("a") // a is used again: b and c are older now
		}
	}
	entries, size := pc.stats()
	if size > 8*1024 {
		t.Fatalf("the cache holds %d bytes, over its bound", size)
	}
	if entries != 8 {
		t.Fatalf("entries = %d, want 8 (each takes %d bytes)", entries, page("x").size())
	}
	if _, ok := pc.lookup("b"); ok {
		t.Fatalf("the least recently used entry was kept")
	}
	if _, ok := pc.lookup("a"); !ok {
		t.Fatalf("an entry used again was evicted")
	}
	if got := pc.evictions.Load(); got != 2 {
		t.Fatalf("evictions = %d, want 2", got)
	}
	pc.put(&cachedPage{key: "huge", body: make([]byte, 2048)})
	if _, ok := pc.lookup("huge"); ok {
		t.Fatalf("a page over an eighth of the cache was kept")
	}
}

// A crowd asking for a page nobody has rendered since the last change gets
// it rendered once: the others wait for that render.
func TestPageCacheRendersOnceForACrowd(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		cast := dbtest.People(t, db)
		for i := range 30 {
			dbtest.Idea(t, db, dbtest.IdeaSpec{Author: cast.Ann, Title: fmt.Sprintf("Crowded idea %d", i+1)})
		}
		const crowd = 24
		var wg sync.WaitGroup
		statuses := make(chan int, crowd)
		for range crowd {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := ta.fiber.Test(httptest.NewRequest(http.MethodGet, "/?sort=new", nil), -1)
				if err != nil {
					statuses <- 0
					return
				}
				resp.Body.Close()
				statuses <- resp.StatusCode
			}()
		}
		wg.Wait()
		close(statuses)
		for s := range statuses {
			if s != http.StatusOK {
				t.Fatalf("a reader got %d", s)
			}
		}
		if hits, misses := ta.pages.hits.Load(), ta.pages.misses.Load(); misses != 1 || hits != crowd-1 {
			t.Fatalf("%d misses and %d hits for a crowd of %d, want 1 and %d", misses, hits, crowd, crowd-1)
		}
	})
}

// Site settings saved on one instance show on another's cached pages as
// soon as it reads the new data version, and a portal made private stops
// serving anything from the cache.
func TestPageCacheFollowsSiteSettings(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		newTestApp(t, db)
		two := newTestApp(t, db, WithPageCache(defaultCacheBytes, 200*time.Millisecond))
		admin := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleAdmin)
		reader := &client{ta: two, cookies: map[string]string{}}
		wantStatus(t, reader.get("/"), http.StatusOK)
		if resp := reader.get("/"); resp.Header.Get("X-Cache") != "hit" {
			t.Fatal("the second read of / was not a hit")
		}

		in := models.SiteInput{Name: "Quokka Feedback", Approval: models.ApprovalNever, Private: "off"}
		if _, err := models.SaveSite(ctx, db, in, admin); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, 5*time.Second, "the other instance shows the new name", func() bool {
			return strings.Contains(body(t, reader.get("/")), "Quokka Feedback")
		})

		in.Private = "on"
		if _, err := models.SaveSite(ctx, db, in, admin); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, 5*time.Second, "the other instance sends visitors to sign in", func() bool {
			resp := reader.get("/")
			return resp.StatusCode == http.StatusSeeOther && resp.Header.Get("X-Cache") == ""
		})
	})
}

// headRequest is a HEAD of path with the given header pairs.
func headRequest(path string, headers ...string) *http.Request {
	req := httptest.NewRequest(http.MethodHead, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}
