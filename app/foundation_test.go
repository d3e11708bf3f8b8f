package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func TestHomeServesEmptyPortalAndAssets(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		c := ta.client()
		resp := c.get("/")
		page := wantStatus(t, resp, http.StatusOK)
		for _, want := range []string{"Welcome to your feedback portal", `href="/roadmap"`, `href="/login?next=%2f"`, "Post the first idea"} {
			if !strings.Contains(page, want) {
				t.Errorf("home page lacks %q", want)
			}
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("Content-Security-Policy = %q", csp)
		}
		if resp.Header.Get("X-Request-Id") == "" {
			t.Error("no X-Request-Id header")
		}
		css, err := ta.assets.url("style.css")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(page, `href="`+css+`"`) {
			t.Errorf("home page does not link %s", css)
		}
		resp = c.get(css)
		if b := wantStatus(t, resp, http.StatusOK); !strings.Contains(b, "--accent") {
			t.Error("stylesheet body is not the stylesheet")
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("asset Cache-Control = %q", cc)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
			t.Errorf("asset Content-Type = %q", ct)
		}
		wantStatus(t, c.get("/static/style.css"), http.StatusNotFound)
	})
}

func TestNotFoundPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		c := newTestApp(t, db).client()
		for _, path := range []string{"/no-such-page", "/?board=nope", "/?status=nope", "/static/nope.css"} {
			b := wantStatus(t, c.get(path), http.StatusNotFound)
			if !strings.Contains(b, "We couldn&#39;t find that page") {
				t.Errorf("%s: 404 page lacks its heading", path)
			}
		}
		resp := c.get("/no-such-page", "Accept", "application/json")
		if b := wantStatus(t, resp, http.StatusNotFound); !strings.Contains(b, `"status":404`) {
			t.Errorf("JSON 404 = %s", b)
		}
		wantStatus(t, c.get("/?after=%%%"), http.StatusBadRequest)
	})
}

func TestServerErrorIsLoggedOnceAndShowsNoInternals(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	ta := newTestApp(t, db)
	ta.fiber.Get("/boom", func(c *fiber.Ctx) error { return errors.New("secret internal detail: SELECT * FROM users") })
	ta.fiber.Get("/panic", func(c *fiber.Ctx) error { panic("kaboom in handler") })
	c := ta.client()
	for _, path := range []string{"/boom", "/panic"} {
		resp := c.get(path)
		id := resp.Header.Get("X-Request-Id")
		b := wantStatus(t, resp, http.StatusInternalServerError)
		if strings.Contains(b, "secret internal detail") || strings.Contains(b, "kaboom") || strings.Contains(b, "goroutine") {
			t.Errorf("%s: 500 page shows internals", path)
		}
		if !strings.Contains(b, "Something went wrong on our side") {
			t.Errorf("%s: 500 page lacks its heading", path)
		}
		logs := ta.logs.String()
		if n := strings.Count(logs, `msg="request failed" id=`+id); n != 1 {
			t.Errorf("%s: logged %d times with request id %s, want 1\n%s", path, n, id, logs)
		}
	}
}

func TestHealth(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		c := ta.client()
		if b := wantStatus(t, c.get("/healthz"), http.StatusOK); !strings.Contains(b, `"status":"ok"`) {
			t.Errorf("healthz = %s", b)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		resp := c.get("/healthz")
		wantStatus(t, resp, http.StatusServiceUnavailable)
	})
}

func TestCrawlerFiles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		ctx := context.Background()
		if _, err := models.Seed(ctx, db, models.SeedOptions{Users: 5, Ideas: 6, Votes: 10, Seed: 3}); err != nil {
			t.Fatal(err)
		}
		// One idea on a private board must stay out of the sitemap.
		staff := dbtest.User(t, db, "Sam", "sam@example.com", models.RoleStaff)
		secret := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: staff, Title: "Hidden plan", Board: dbtest.Board(t, db, "secret", true)})
		c := ta.client()
		robots := wantStatus(t, c.get("/robots.txt"), http.StatusOK)
		if !strings.Contains(robots, "Sitemap: http://portal.test/sitemap.xml") {
			t.Errorf("robots.txt = %s", robots)
		}
		resp := c.get("/sitemap.xml")
		sm := wantStatus(t, resp, http.StatusOK)
		if n := strings.Count(sm, "<url>"); n != 3+6 {
			t.Errorf("sitemap has %d urls, want 9 (3 pages + 6 public ideas)\n%s", n, sm)
		}
		if n := strings.Count(sm, "<lastmod>"); n != 6 {
			t.Errorf("sitemap has %d lastmod dates, want 6", n)
		}
		if strings.Contains(sm, "/ideas/"+strconv.FormatInt(secret.ID, 10)+"/") || strings.Contains(sm, secret.Slug) {
			t.Error("sitemap lists an idea on a private board")
		}
		if len(resp.Cookies()) != 0 {
			t.Errorf("sitemap sets cookies: %v", resp.Cookies())
		}
	})
}

func TestSignedOutWriterIsSentToSignInAndBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		c := ta.client()
		cases := []struct{ referer, wantNext string }{
			{"http://portal.test/ideas/7/export?x=1", "/login?next=%2Fideas%2F7%2Fexport%3Fx%3D1"},
			{"https://portal.test/ideas/7/export", "/login?next=%2F"}, // another scheme is another origin
			{"http://evil.example/ideas/7", "/login?next=%2F"},
			{"http://portal.test//evil.example", "/login?next=%2F"},
			{"", "/login?next=%2F"},
		}
		for _, tc := range cases {
			resp := c.post("/ideas/7/vote", nil, "Referer", tc.referer)
			wantStatus(t, resp, http.StatusSeeOther)
			if got := resp.Header.Get("Location"); got != tc.wantNext {
				t.Errorf("Referer %q: Location %q, want %q", tc.referer, got, tc.wantNext)
			}
		}
		resp := c.post("/ideas/7/vote", nil, "Accept", "application/json")
		if b := wantStatus(t, resp, http.StatusUnauthorized); !strings.Contains(b, `"status":401`) {
			t.Errorf("JSON refusal = %s", b)
		}
		// Without a session there is nothing to forge: no token still means
		// "sign in first", not 403.
		wantStatus(t, c.postRaw("/ideas/7/vote", nil, "Accept", "application/json"), http.StatusUnauthorized)
		resp = c.postRaw("/ideas/7/vote", nil)
		wantStatus(t, resp, http.StatusSeeOther)
		if got := resp.Header.Get("Location"); got != "/login?next=%2F" {
			t.Errorf("tokenless signed-out vote: Location %q", got)
		}
		// Signed in, a missing or wrong token is 403.
		c.signInAs(dbtest.User(t, db, "Ada", "ada@example.com", models.RoleMember))
		wantStatus(t, c.postRaw("/ideas/7/vote", nil), http.StatusForbidden)
		wantStatus(t, c.postRaw("/ideas/7/vote", url.Values{"_csrf": {"forged"}}), http.StatusForbidden)
	})
}

func TestPagesRenderConcurrently(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	if _, err := models.Seed(context.Background(), db, models.SeedOptions{Users: 10, Ideas: 30, Votes: 100, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	ta := newTestApp(t, db)
	paths := []string{"/", "/roadmap", "/changelog", "/login", "/?sort=top", "/no-such-page"}
	want := []string{"Share your ideas", "<h1>Roadmap</h1>", "<h1>Changelog</h1>", ">Sign in</h1>", "Share your ideas", "We couldn&#39;t find that page"}
	errs := make(chan error, 8*len(paths))
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		for i := range paths {
			wg.Add(1)
			go func(path, want string) {
				defer wg.Done()
				resp, err := ta.fiber.Test(httptest.NewRequest(http.MethodGet, path, nil), -1)
				if err != nil {
					errs <- err
					return
				}
				b, err := io.ReadAll(resp.Body)
				if err != nil {
					errs <- fmt.Errorf("%s: %v", path, err)
					return
				}
				if !strings.Contains(string(b), want) || strings.Count(string(b), "<main") != 1 {
					errs <- fmt.Errorf("%s: page lacks %q or has %d <main> elements", path, want, strings.Count(string(b), "<main"))
				}
			}(paths[i], want[i])
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestIdeaRowsAreCachedByWhatTheyShow(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	ta := newTestApp(t, db)
	if _, err := models.Seed(context.Background(), db, models.SeedOptions{Users: 5, Ideas: 3, Votes: 0, Seed: 4}); err != nil {
		t.Fatal(err)
	}
	c := ta.client()
	first := wantStatus(t, c.get("/?sort=new"), http.StatusOK)
	if n := ta.rows.Len(); n != 3 {
		t.Fatalf("cached rows = %d, want 3", n)
	}
	if again := wantStatus(t, c.get("/?sort=new"), http.StatusOK); mainOf(t, again) != mainOf(t, first) {
		t.Error("the same list rendered differently from the cache")
	}
	// A vote changes the row's key: the new count shows at once.
	listed, err := models.ListIdeas(context.Background(), db, models.IdeaQuery{Sort: models.SortNew, Limit: 1})
	if err != nil || len(listed.Ideas) != 1 {
		t.Fatalf("newest idea: %+v, %v", listed.Ideas, err)
	}
	voter := dbtest.User(t, db, "Vera", "vera@example.com", models.RoleMember)
	if _, err := models.VoteFor(context.Background(), db, listed.Ideas[0].ID, voter.ID); err != nil {
		t.Fatal(err)
	}
	page := wantStatus(t, c.get("/?sort=new"), http.StatusOK)
	if !strings.Contains(page, `aria-label="1 vote"`) {
		t.Error("after a vote the list does not show 1 vote")
	}
	if n := ta.rows.Len(); n != 4 {
		t.Errorf("cached rows = %d, want 4 (the voted row is a new entry)", n)
	}
	// Ages move on with the clock, and so do the keys.
	if _, err := models.CreateIdea(context.Background(), db, models.NewIdea{Author: voter, Board: "feature-requests", Title: "Fresh idea", Body: "Just posted."}); err != nil {
		t.Fatal(err)
	}
	if page := wantStatus(t, c.get("/?sort=new"), http.StatusOK); !strings.Contains(page, ">just now</time>") {
		t.Error("a new idea is not shown as just posted")
	}
	ta.clock.Advance(48 * time.Hour)
	if page := wantStatus(t, c.get("/?sort=new"), http.StatusOK); !strings.Contains(page, ">2 days ago</time>") {
		t.Error("rows did not age with the clock")
	}
}

func TestMalformedIdsAreNotFound(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		if _, err := models.Seed(context.Background(), db, models.SeedOptions{Users: 3, Ideas: 10, Votes: 0, Seed: 6}); err != nil {
			t.Fatal(err)
		}
		ta := newTestApp(t, db)
		c := ta.client()
		wantStatus(t, c.get("/ideas/10"), http.StatusMovedPermanently)
		for _, path := range []string{"/ideas/010", "/ideas/+10", "/ideas/10abc", "/ideas/1e1", "/ideas/-10", "/ideas/0", "/ideas/ 10", "/ideas/010/feed.rss", "/ideas/+10/feed.json"} {
			wantStatus(t, c.get(strings.ReplaceAll(path, " ", "%20")), http.StatusNotFound)
		}
		c.signInAs(dbtest.User(t, db, "Ada", "ada@example.com", models.RoleMember))
		for _, path := range []string{"/ideas/+10/vote", "/ideas/010/vote", "/ideas/10/comments/01/edit"} {
			wantStatus(t, c.post(path, nil, "Accept", "application/json"), http.StatusNotFound)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM votes"); n != 0 {
			t.Errorf("%d votes after malformed ids, want 0", n)
		}
	})
}

func TestBlockedUsersAreNotOfferedTheNewIdeaForm(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		u := dbtest.User(t, db, "Bea", "bea@example.com", models.RoleMember)
		c := ta.client()
		c.signInAs(u)
		wantStatus(t, c.get("/ideas/new"), http.StatusOK)
		if _, err := models.BlockUser(context.Background(), db, u.EmailAddress()); err != nil {
			t.Fatal(err)
		}
		if page := wantStatus(t, c.get("/ideas/new"), http.StatusForbidden); !strings.Contains(page, "blocked") {
			t.Error("the refusal does not say the account is blocked")
		}
	})
}
