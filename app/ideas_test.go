package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

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

func voteJSON(t *testing.T, c *client, path string, wantCode int) map[string]any {
	t.Helper()
	b := wantStatus(t, c.post(path, nil, "Accept", "application/json"), wantCode)
	var out map[string]any
	if err := json.Unmarshal([]byte(b), &out); err != nil {
		t.Fatalf("%s: %v in %s", path, err, b)
	}
	return out
}

func TestVotingOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		ada := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleMember)
		bob := dbtest.User(t, db, "Bob", "bob@example.com", models.RoleMember)
		c := ta.client()
		c.signInAs(ada)
		loc := postIdea(t, c, "Vote for me", "")
		b := ta.client()
		b.signInAs(bob)

		for i := 0; i < 2; i++ {
			if got := voteJSON(t, b, "/ideas/1/vote", http.StatusOK); got["voted"] != true || got["votes"] != float64(1) {
				t.Errorf("vote %d = %v", i, got)
			}
		}
		if got := voteJSON(t, c, "/ideas/1/vote", http.StatusOK); got["votes"] != float64(2) {
			t.Errorf("second voter = %v", got)
		}
		if got := voteJSON(t, b, "/ideas/1/unvote", http.StatusOK); got["voted"] != false || got["votes"] != float64(1) {
			t.Errorf("unvote = %v", got)
		}
		if got := voteJSON(t, b, "/ideas/1/unvote", http.StatusOK); got["voted"] != false || got["votes"] != float64(1) {
			t.Errorf("second unvote = %v", got)
		}

		// Without JavaScript: back to the idea, or to a page of ours that referred.
		resp := b.post("/ideas/1/vote", nil)
		wantStatus(t, resp, http.StatusSeeOther)
		if got := resp.Header.Get("Location"); got != loc {
			t.Errorf("vote redirects to %q", got)
		}
		for ref, want := range map[string]string{
			"http://portal.test/?sort=top&q=x": "/?sort=top&q=x",
			"https://evil.example/":            loc,
			"//evil.example/x":                 loc,
			"not a url at all":                 loc,
		} {
			resp = b.post("/ideas/1/unvote", nil, "Referer", ref)
			wantStatus(t, resp, http.StatusSeeOther)
			if got := resp.Header.Get("Location"); got != want {
				t.Errorf("Referer %q: redirect to %q, want %q", ref, got, want)
			}
		}
		page := wantStatus(t, c.get(loc), http.StatusOK)
		if !strings.Contains(page, `action="/ideas/1/unvote"`) || !strings.Contains(page, `aria-pressed="true"`) {
			t.Error("voter's idea page does not offer to unvote")
		}

		// Refusals.
		anon := ta.client()
		voteJSON(t, anon, "/ideas/1/vote", http.StatusUnauthorized)
		resp = anon.post("/ideas/1/vote", nil)
		wantStatus(t, resp, http.StatusSeeOther)
		if !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
			t.Errorf("signed-out vote goes to %q", resp.Header.Get("Location"))
		}
		wantStatus(t, b.postRaw("/ideas/1/vote", url.Values{}), http.StatusForbidden)
		voteJSON(t, b, "/ideas/999/vote", http.StatusNotFound)
		voteJSON(t, b, "/ideas/abc/vote", http.StatusNotFound)
		blocked := dbtest.User(t, db, "Bo", "bo@example.com", models.RoleMember)
		if _, err := models.BlockUser(context.Background(), db, blocked.EmailAddress()); err != nil {
			t.Fatal(err)
		}
		bc := ta.client()
		bc.signInAs(blocked)
		voteJSON(t, bc, "/ideas/1/vote", http.StatusForbidden)
		wantStatus(t, bc.post("/ideas", url.Values{"title": {"Blocked idea"}}), http.StatusForbidden)
		wantStatus(t, bc.post("/ideas/1/comments", url.Values{"body": {"hi"}}), http.StatusForbidden)
		wantStatus(t, bc.get(loc), http.StatusOK)

		staff := dbtest.User(t, db, "Sam", "sam@example.com", models.RoleStaff)
		if _, err := models.ChangeStatus(context.Background(), db, 1, staff, "done", ""); err != nil {
			t.Fatal(err)
		}
		if got := voteJSON(t, b, "/ideas/1/vote", http.StatusConflict); !strings.Contains(fmt.Sprint(got["error"]), "no longer taking votes") {
			t.Errorf("closed idea: %v", got)
		}
		page = wantStatus(t, b.post("/ideas/1/vote", nil), http.StatusConflict)
		if !strings.Contains(page, "no longer taking votes") {
			t.Error("closed idea: HTML refusal lacks its message")
		}
		if n := dbtest.Count(t, db, "SELECT votes_count FROM ideas WHERE id = 1"); n != 1 {
			t.Errorf("votes_count = %d, want 1", n)
		}
	})
}

func TestCommentsOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		ada := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleMember)
		sam := dbtest.User(t, db, "Sam", "sam@example.com", models.RoleStaff)
		c := ta.client()
		c.signInAs(ada)
		loc := postIdea(t, c, "Talk about me", "")
		s := ta.client()
		s.signInAs(sam)

		page := wantStatus(t, c.post("/ideas/1/comments", url.Values{"body": {"   "}}), http.StatusUnprocessableEntity)
		if !strings.Contains(page, `id="comment-error"`) || !strings.Contains(page, `aria-invalid="true"`) {
			t.Error("empty comment: no error by the field")
		}
		resp := c.post("/ideas/1/comments", url.Values{"body": {"Me *too*"}})
		wantStatus(t, resp, http.StatusSeeOther)
		if got := resp.Header.Get("Location"); got != loc+"#comment-1" {
			t.Errorf("comment redirects to %q", got)
		}
		wantStatus(t, s.post("/ideas/1/comments", url.Values{"body": {"We hear you."}}), http.StatusSeeOther)
		page = wantStatus(t, ta.client().get(loc), http.StatusOK)
		for _, want := range []string{"Me <em>too</em>", `class="comment comment-staff"`, `<span class="badge">Staff</span>`, "2 comments"} {
			if !strings.Contains(page, want) {
				t.Errorf("idea page lacks %q", want)
			}
		}
		// The author edits within 15 minutes, not after.
		page = wantStatus(t, c.get(loc), http.StatusOK)
		if !strings.Contains(page, `action="/ideas/1/comments/1/edit"`) || strings.Contains(page, `action="/ideas/1/comments/2/edit"`) {
			t.Error("edit form offered wrongly")
		}
		wantStatus(t, c.post("/ideas/1/comments/1/edit", url.Values{"body": {"Me too, really"}}), http.StatusSeeOther)
		wantStatus(t, c.post("/ideas/1/comments/2/edit", url.Values{"body": {"Hijack"}}), http.StatusForbidden)
		wantStatus(t, c.post("/ideas/1/comments/1/edit", url.Values{"body": {""}}), http.StatusUnprocessableEntity)
		ta.clock.Advance(16 * time.Minute)
		wantStatus(t, c.post("/ideas/1/comments/1/edit", url.Values{"body": {"Late"}}), http.StatusConflict)

		// Staff hide; it disappears for everyone else and from the count.
		wantStatus(t, c.post("/ideas/1/comments/1/hide", nil), http.StatusForbidden)
		wantStatus(t, s.post("/ideas/1/comments/1/hide", nil), http.StatusSeeOther)
		wantStatus(t, s.post("/ideas/1/comments/99/hide", nil), http.StatusNotFound)
		page = wantStatus(t, ta.client().get(loc), http.StatusOK)
		if strings.Contains(page, "Me too, really") || !strings.Contains(page, "1 comment") {
			t.Error("hidden comment still shown to visitors")
		}
		if page = wantStatus(t, s.get(loc), http.StatusOK); !strings.Contains(page, "hidden from customers") {
			t.Error("staff don't see the hidden comment")
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE kind = ?", models.EventCommentHidden); n != 1 {
			t.Errorf("%d comment.hidden events", n)
		}
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
		if n := dbtest.Count(t, db, "SELECT count(*) FROM subscriptions WHERE idea_id = 1 AND user_id = ?", bob.ID); n != 0 {
			t.Errorf("%d subscriptions after unsubscribing", n)
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

// xssCorpus is markup that must come out inert wherever users write.
var xssCorpus = []string{
	`<script>alert(1)</script>`,
	`<SCRIPT SRC=//evil.example/x.js></SCRIPT>`,
	`<img src=x onerror=alert(1)>`,
	`<svg/onload=alert(1)>`,
	`<a href="javascript:alert(1)">click</a>`,
	`[click](javascript:alert(1))`,
	`[click](JaVaScRiPt:alert(1))`,
	`[click](&#106;avascript:alert(1))`,
	`[click](&#x6A;&#x61;vascript:alert(1))`,
	`[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
	`[click](DATA:text/html,<script>alert(1)</script>)`,
	`<a href="jav&#x09;ascript:alert(1)">x</a>`,
	`![x](javascript:alert(1))`,
	`<iframe src="https://evil.example"></iframe>`,
	`<div style="background:url(javascript:alert(1))">x</div>`,
	`<p onclick="alert(1)">x</p>`,
	"<a href='vbscript:msgbox(1)'>x</a>",
	`<form action="https://evil.example"><input name=x></form>`,
}

// liveMarkup lists what in page would run or leave the site: scripts other
// than our own, event handler attributes, script-bearing URLs, frames,
// styles with URLs. Escaped text such as &lt;img onerror=...&gt; is inert.
func liveMarkup(page string) []string {
	var bad []string
	z := html.NewTokenizer(strings.NewReader(page))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return bad
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "iframe", "object", "embed", "frame", "base":
			bad = append(bad, tok.String())
		case "script":
			src := ""
			for _, at := range tok.Attr {
				if at.Key == "src" {
					src = at.Val
				}
			}
			if !strings.HasPrefix(src, "/static/app.") {
				bad = append(bad, tok.String())
			}
		}
		for _, at := range tok.Attr {
			val := strings.ToLower(strings.Join(strings.Fields(at.Val), ""))
			switch {
			case strings.HasPrefix(at.Key, "on"):
				bad = append(bad, tok.String())
			case at.Key == "href" || at.Key == "src" || at.Key == "action" || at.Key == "formaction":
				for _, scheme := range []string{"javascript:", "vbscript:", "data:"} {
					if strings.HasPrefix(val, scheme) {
						bad = append(bad, tok.String())
					}
				}
			case at.Key == "style" && strings.Contains(val, "url("):
				bad = append(bad, tok.String())
			}
		}
	}
}

// unmarkedLinks lists the links in stored HTML that lack the rel="nofollow"
// the sanitizer puts on every link it lets through.
func unmarkedLinks(stored string) []string {
	var bad []string
	z := html.NewTokenizer(strings.NewReader(stored))
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		if tok := z.Token(); tok.Data == "a" && tt == html.StartTagToken {
			rel := ""
			for _, at := range tok.Attr {
				if at.Key == "rel" {
					rel = at.Val
				}
			}
			if !strings.Contains(" "+rel+" ", " nofollow ") {
				bad = append(bad, tok.String())
			}
		}
	}
	return bad
}

// TestXSSComesOutInert writes the corpus as an idea, a staff response and
// comments, then checks both the HTML stored for each and the pages that
// show it.
func TestXSSComesOutInert(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		// The checkers themselves see live markup.
		if n := len(liveMarkup(`<a href=" JaVa Script:x">x</a><p onclick="x"><script>x</script>`)); n != 3 {
			t.Fatalf("checker found %d of 3 live pieces", n)
		}
		if n := len(unmarkedLinks(`<a href="/x" rel="nofollow">x</a><a href="" rel="ugc">y</a>`)); n != 1 {
			t.Fatalf("link checker found %d of 1 unmarked links", n)
		}
		ta := newTestApp(t, db)
		ada := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleMember)
		sam := dbtest.User(t, db, "Sam", "sam@example.com", models.RoleStaff)
		c := ta.client()
		c.signInAs(ada)
		body := strings.Join(xssCorpus, "\n\n")
		const title = `<script>alert("title")</script>`
		loc := postIdea(t, c, title, body)
		for _, x := range xssCorpus {
			wantStatus(t, c.post("/ideas/1/comments", url.Values{"body": {x}}), http.StatusSeeOther)
		}
		staff := ta.client()
		staff.signInAs(sam)
		wantStatus(t, staff.post("/ideas/1/status", url.Values{"status": {"planned"}, "response": {body}}), http.StatusSeeOther)

		// What is stored: the title as typed (it is text), and HTML with
		// nothing live in it, every link marked.
		idea := dbtest.Reload(t, db, 1)
		if idea.Title != title {
			t.Errorf("stored title %q, want it as typed", idea.Title)
		}
		stored := map[string]string{"body_html": idea.BodyHTML, "response_html": idea.ResponseHTML}
		comments, err := models.IdeaComments(context.Background(), db, idea.ID, sam)
		if err != nil {
			t.Fatal(err)
		}
		if len(comments) != len(xssCorpus) {
			t.Fatalf("%d comments stored, want %d", len(comments), len(xssCorpus))
		}
		for i, cm := range comments {
			stored[fmt.Sprintf("comment %d body_html", i+1)] = cm.BodyHTML
		}
		// The seven links in the corpus that say "click" lose their
		// targets, not their text.
		for _, h := range []string{idea.BodyHTML, idea.ResponseHTML} {
			if n := strings.Count(h, "<p>click</p>"); n != 7 {
				t.Errorf("the text of the links is kept %d times, want 7: %q", n, h)
			}
		}
		for name, h := range stored {
			for _, bad := range append(liveMarkup(h), unmarkedLinks(h)...) {
				t.Errorf("stored %s contains %s", name, bad)
			}
		}

		// What is shown, to a visitor, the author and staff.
		for _, viewer := range []*client{ta.client(), c, staff} {
			page := wantStatus(t, viewer.get(loc), http.StatusOK)
			for _, bad := range liveMarkup(page) {
				t.Errorf("page contains live markup %s", bad)
			}
		}
		page := wantStatus(t, c.get(loc), http.StatusOK)
		if !strings.Contains(page, "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;") {
			t.Error("the title is not shown escaped")
		}
	})
}

// TestExcerptsShowWhatTheReaderSees posts a body whose markup the sanitizer
// removes and checks that the list, the search results, the idea page's
// description and the roadmap's excerpt of the response show its text as
// the idea page does: nothing removed comes back as visible text, and
// entities are escaped once.
func TestExcerptsShowWhatTheReaderSees(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		ada := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleMember)
		c := ta.client()
		c.signInAs(ada)
		const hostile = "Hello <img src=x onerror=alert(1)> [link](javascript:alert(1)) AT&amp;T **bold**"
		loc := postIdea(t, c, "Entity check", hostile)
		// Staff answer with the same text and plan it: the roadmap card
		// shows an excerpt of the response.
		staff := ta.client()
		staff.signInAs(dbtest.User(t, db, "Sam", "sam@example.com", models.RoleStaff))
		wantStatus(t, staff.post("/ideas/1/status", url.Values{"status": {"planned"}, "response": {hostile}}), http.StatusSeeOther)

		const excerpt = `<p class="excerpt">Hello link AT&amp;T bold</p>`
		pages := map[string]string{
			"home":    wantStatus(t, c.get("/"), http.StatusOK),
			"search":  wantStatus(t, c.get("/?q=bold"), http.StatusOK),
			"idea":    wantStatus(t, c.get(loc), http.StatusOK),
			"roadmap": wantStatus(t, c.get("/roadmap"), http.StatusOK),
		}
		for name, page := range pages {
			for _, bad := range []string{"onerror", "javascript:", "&amp;amp;", "&lt;img", "alert(1)"} {
				if strings.Contains(page, bad) {
					t.Errorf("%s page contains %q", name, bad)
				}
			}
			if !strings.Contains(page, "AT&amp;T") {
				t.Errorf("%s page does not show AT&T escaped once", name)
			}
		}
		for _, name := range []string{"home", "search", "roadmap"} {
			if n := strings.Count(pages[name], excerpt); n != 1 {
				t.Errorf("%s page shows the excerpt %d times, want once:\n%s", name, n, excerptOf(pages[name]))
			}
		}
		const meta = `<meta name="description" content="Hello link AT&amp;T bold">`
		if !strings.Contains(pages["idea"], meta) {
			t.Errorf("idea page lacks %s:\n%s", meta, excerptOf(pages["idea"]))
		}
	})
}

func TestAbuseLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db, WithRates(map[string]Rate{
			"vote-user":    {Max: 3, Window: time.Minute},
			"idea-user":    {Max: 2, Window: time.Hour},
			"comment-user": {Max: 2, Window: time.Minute},
		}))
		ada := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleMember)
		c := ta.client()
		c.signInAs(ada)
		postIdea(t, c, "First idea", "")
		postIdea(t, c, "Second idea", "")
		resp := c.post("/ideas", url.Values{"title": {"Third idea"}})
		wantStatus(t, resp, http.StatusTooManyRequests)
		if resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		// Vote and unvote share one limit.
		voteJSON(t, c, "/ideas/1/vote", http.StatusOK)
		voteJSON(t, c, "/ideas/1/unvote", http.StatusOK)
		voteJSON(t, c, "/ideas/1/vote", http.StatusOK)
		resp = c.post("/ideas/1/unvote", nil, "Accept", "application/json")
		wantStatus(t, resp, http.StatusTooManyRequests)
		if resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		wantStatus(t, c.post("/ideas/1/comments", url.Values{"body": {"one"}}), http.StatusSeeOther)
		wantStatus(t, c.post("/ideas/1/comments", url.Values{"body": {"two"}}), http.StatusSeeOther)
		wantStatus(t, c.post("/ideas/1/comments", url.Values{"body": {"three"}}), http.StatusTooManyRequests)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM ideas"); n != 2 {
			t.Errorf("%d ideas", n)
		}
		if n := dbtest.Count(t, db, "SELECT votes_count FROM ideas WHERE id = 1"); n != 1 {
			t.Errorf("votes_count %d", n)
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
