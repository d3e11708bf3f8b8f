package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

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
