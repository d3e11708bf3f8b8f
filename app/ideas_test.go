package app

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// postIdea posts an idea through the form and returns its canonical path.
func postIdea(t *testing.T, c *client, title, body string) string {
	t.Helper()
	resp := c.post("/ideas", url.Values{"title": {title}, "body": {body}, "board": {"feature-requests"}})
	wantStatus(t, resp, http.StatusSeeOther)
	return resp.Header.Get("Location")
}

func TestPostingAnIdea(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		ada := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleMember)

		anon := ta.client()
		resp := anon.get("/ideas/new")
		wantStatus(t, resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != "/login?next=%2Fideas%2Fnew" {
			t.Errorf("signed-out form redirects to %q", loc)
		}
		resp = anon.post("/ideas", url.Values{"title": {"Hello there"}}, "Accept", "application/json")
		wantStatus(t, resp, http.StatusUnauthorized)

		c := ta.client()
		c.signInAs(ada)
		page := wantStatus(t, c.get("/ideas/new"), http.StatusOK)
		for _, want := range []string{`<label for="title">`, `<label for="body">`, `name="_csrf"`, `value="feature-requests"`, `formaction="/ideas/new"`} {
			if !strings.Contains(page, want) {
				t.Errorf("form lacks %q", want)
			}
		}

		// Invalid: 422, the message by the field, the input kept.
		page = wantStatus(t, c.post("/ideas", url.Values{"title": {"ab"}, "body": {"my <body> text"}, "board": {"feature-requests"}}), http.StatusUnprocessableEntity)
		for _, want := range []string{`aria-invalid="true"`, `id="title-error"`, `value="ab"`, "my &lt;body&gt; text", "at least 3 characters"} {
			if !strings.Contains(page, want) {
				t.Errorf("422 form lacks %q", want)
			}
		}
		page = wantStatus(t, c.post("/ideas", url.Values{"title": {"Good title"}, "board": {"nope"}}), http.StatusUnprocessableEntity)
		if !strings.Contains(page, `id="board-error"`) {
			t.Error("unknown board: no board error")
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM ideas"); n != 0 {
			t.Fatalf("%d ideas after invalid posts", n)
		}

		// Valid: 303 straight to the idea, which exists with its event.
		loc := postIdea(t, c, "Export reports as CSV", "We need **CSV** exports.")
		if loc != "/ideas/1/export-reports-as-csv" {
			t.Fatalf("Location = %q", loc)
		}
		page = wantStatus(t, c.get(loc), http.StatusOK)
		for _, want := range []string{"<h1 id=\"idea-title\">Export reports as CSV</h1>", "<strong>CSV</strong>", "by <strong>Ada</strong>", "Open",
			`action="/ideas/1/vote"`, `action="/ideas/1/unsubscribe"`, `<link rel="canonical" href="http://portal.test/ideas/1/export-reports-as-csv">`, "posted this idea"} {
			if !strings.Contains(page, want) {
				t.Errorf("idea page lacks %q", want)
			}
		}
		// Omitting the board is fine when there is only one.
		resp = c.post("/ideas", url.Values{"title": {"No board given"}})
		wantStatus(t, resp, http.StatusSeeOther)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE kind = ?", models.EventIdeaCreated); n != 2 {
			t.Errorf("%d idea.created events, want 2", n)
		}
	})
}

func TestIdeaAddresses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		ada := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleMember)
		c := ta.client()
		c.signInAs(ada)
		loc := postIdea(t, c, "Dark mode", "")

		anon := ta.client()
		for _, p := range []string{"/ideas/1", "/ideas/1/wrong-slug"} {
			resp := anon.get(p)
			wantStatus(t, resp, http.StatusMovedPermanently)
			if got := resp.Header.Get("Location"); got != loc {
				t.Errorf("%s redirects to %q, want %q", p, got, loc)
			}
		}
		wantStatus(t, anon.get(loc), http.StatusOK)
		for _, p := range []string{"/ideas/abc", "/ideas/0", "/ideas/01", "/ideas/+1", "/ideas/-1", "/ideas/99999999999999999999", "/ideas/2", "/ideas/abc/slug"} {
			wantStatus(t, anon.get(p), http.StatusNotFound)
		}
		// Private boards and hidden ideas are not found by those who may not see them.
		staff := dbtest.User(t, db, "Sam", "sam@example.com", models.RoleStaff)
		dbtest.Board(t, db, "internal", true)
		sc := ta.client()
		sc.signInAs(staff)
		resp := sc.post("/ideas", url.Values{"title": {"Staff only"}, "board": {"internal"}})
		wantStatus(t, resp, http.StatusSeeOther)
		secret := resp.Header.Get("Location")
		wantStatus(t, sc.get(secret), http.StatusOK)
		wantStatus(t, c.get(secret), http.StatusNotFound)
		wantStatus(t, anon.get(secret), http.StatusNotFound)
		wantStatus(t, c.post(strings.Replace(secret, "/staff-only", "/vote", 1), nil), http.StatusNotFound)
	})
}

func TestFollowingAnIdea(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		ada := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleMember)
		bob := dbtest.User(t, db, "Bob", "bob@example.com", models.RoleMember)
		c := ta.client()
		c.signInAs(ada)
		loc := postIdea(t, c, "Follow me", "")
		b := ta.client()
		b.signInAs(bob)
		if page := wantStatus(t, b.get(loc), http.StatusOK); !strings.Contains(page, `action="/ideas/1/subscribe"`) {
			t.Error("no follow button")
		}
		wantStatus(t, b.post("/ideas/1/subscribe", nil), http.StatusSeeOther)
		wantStatus(t, b.post("/ideas/1/subscribe", nil), http.StatusSeeOther)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM subscriptions WHERE idea_id = 1 AND user_id = ?", bob.ID); n != 1 {
			t.Errorf("%d subscriptions", n)
		}
		wantStatus(t, b.post("/ideas/1/unsubscribe", nil), http.StatusSeeOther)
		// The unfollow is remembered, so that voting later does not follow
		// again; following again is an explicit choice.
		if n := dbtest.Count(t, db, "SELECT count(*) FROM subscriptions WHERE idea_id = 1 AND user_id = ? AND unfollowed_at IS NULL", bob.ID); n != 0 {
			t.Errorf("%d subscriptions after unsubscribing", n)
		}
		wantStatus(t, b.post("/ideas/1/vote", nil), http.StatusSeeOther)
		if page := wantStatus(t, b.get(loc), http.StatusOK); !strings.Contains(page, `action="/ideas/1/subscribe"`) {
			t.Error("voting followed the idea again after an unfollow")
		}
		wantStatus(t, b.post("/ideas/1/subscribe", nil), http.StatusSeeOther)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM subscriptions WHERE idea_id = 1 AND user_id = ? AND unfollowed_at IS NULL", bob.ID); n != 1 {
			t.Errorf("%d subscriptions after following again", n)
		}
	})
}

func TestSearchAndSimilarOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		ada := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleMember)
		c := ta.client()
		c.signInAs(ada)
		postIdea(t, c, "Dashboard themes", "Colours")
		postIdea(t, c, "Export invoices", "CSV")
		wantStatus(t, c.post("/ideas/2/vote", nil), http.StatusSeeOther)

		page := wantStatus(t, c.get("/?q=theme"), http.StatusOK)
		if !strings.Contains(page, "Dashboard themes") || strings.Contains(page, "Export invoices") || !strings.Contains(page, `value="theme"`) {
			t.Error("home search for theme is wrong")
		}
		page = wantStatus(t, c.get("/"), http.StatusOK)
		if strings.Count(page, "is-voted") != 1 {
			t.Error("list does not mark exactly the one idea voted for")
		}
		for _, q := range []string{`"`, `(`, "a\x00b", strings.Repeat("x(", 600), `NEAR(a b`, `';--`} {
			wantStatus(t, c.get("/?q="+url.QueryEscape(q)), http.StatusOK)
			wantStatus(t, c.get("/ideas/similar?q="+url.QueryEscape(q), "Accept", "application/json"), http.StatusOK)
		}
		b := wantStatus(t, c.get("/ideas/similar?q="+url.QueryEscape("Themes for my invoices"), "Accept", "application/json"), http.StatusOK)
		var out struct {
			Ideas []similarIdea `json:"ideas"`
		}
		if err := json.Unmarshal([]byte(b), &out); err != nil || len(out.Ideas) != 2 || out.Ideas[0].URL == "" {
			t.Errorf("similar JSON = %s", b)
		}
		b = wantStatus(t, c.get("/ideas/similar?q=dashboard", "Accept", "text/html,application/xhtml+xml,*/*;q=0.8"), http.StatusOK)
		if !strings.Contains(b, `<a href="/ideas/1/dashboard-themes">Dashboard themes</a>`) || strings.Contains(b, "<html") {
			t.Errorf("similar fragment = %s", b)
		}
		// Without a preference (curl, most API clients) the answer is JSON.
		for _, accept := range []string{"", "*/*"} {
			resp := c.get("/ideas/similar?q=dashboard", "Accept", accept)
			b = wantStatus(t, resp, http.StatusOK)
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || !strings.Contains(b, `"title":"Dashboard themes"`) {
				t.Errorf("Accept %q: %s %s", accept, resp.Header.Get("Content-Type"), b)
			}
		}
		page = wantStatus(t, c.get("/ideas/new?check=1&title=dashboard+theme"), http.StatusOK)
		if !strings.Contains(page, "Similar ideas already posted") || !strings.Contains(page, `value="dashboard theme"`) {
			t.Error("no-JavaScript similar check does not show the ideas")
		}
	})
}

// TestOversizedBodiesAre413 sends a real request over loopback: bodies over
// the limit are refused before any handler runs.
func TestOversizedBodiesAre413(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = ta.fiber.Listener(ln) }()
		t.Cleanup(func() { _ = ta.fiber.Shutdown() })
		form := url.Values{"title": {"Huge"}, "body": {strings.Repeat("x", 300*1024)}}
		resp, err := http.Post("http://"+ln.Addr().String()+"/ideas", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d, want 413", resp.StatusCode)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM ideas"); n != 0 {
			t.Errorf("%d ideas", n)
		}
	})
}
