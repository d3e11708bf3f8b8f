package app

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func TestBrowserHome(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	s := newBrowserSite(t, db, nil)

	s.do(chromedp.Navigate(s.base + "/"))
	if h := s.text(".welcome h2"); h != "Welcome to your feedback portal" {
		t.Errorf("empty portal heading = %q", h)
	}
	s.checkA11y("home (empty)")
	s.screenshot("home-empty")

	if _, err := models.Seed(context.Background(), db, models.SeedOptions{Users: 30, Ideas: 45, Votes: 400, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	s.do(chromedp.Navigate(s.base+"/"), chromedp.WaitVisible(chromedp.CSS(".idea-list")))
	if rows := eval[int](s, `document.querySelectorAll('.idea-row').length`); rows != 20 {
		t.Errorf("home shows %d idea rows, want a page of 20", rows)
	}
	s.checkA11y("home")
	s.screenshot("home")

	// Keyboard: the first Tab reaches the skip link.
	s.do(chromedp.KeyEvent("\t"))
	if focused := eval[string](s, `document.activeElement.textContent`); focused != "Skip to content" {
		t.Errorf("first Tab focuses %q, want the skip link", focused)
	}
}

func TestBrowserSignInWithOpenIDConnect(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	m := startOIDC(t)
	cfg := m.Config()
	s := newBrowserSite(t, db, map[string]string{
		"OIDC_ISSUER": cfg.Issuer, "OIDC_CLIENT_ID": cfg.ClientID,
		"OIDC_CLIENT_SECRET": cfg.ClientSecret, "OIDC_NAME": "Acme SSO",
	})
	m.QueueUser(oidcPerson{sub: "acme-77", email: "grace@example.com", name: "Grace Hopper", verified: true})

	s.do(chromedp.Navigate(s.base+"/login?next=/roadmap"), chromedp.WaitVisible(chromedp.CSS(".signin-oidc")))
	if label := s.text(".signin-oidc"); label != "Continue with Acme SSO" {
		t.Errorf("provider button says %q", label)
	}
	s.checkA11y("sign-in")
	s.screenshot("login")

	s.do(chromedp.Click(chromedp.CSS(".signin-oidc")), chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)))
	if loc := s.location(); loc != "/roadmap" {
		t.Errorf("after sign-in the browser is at %s, want the roadmap", loc)
	}
	if who := eval[string](s, `document.querySelector('.who-name').textContent`); who != "Grace Hopper" {
		t.Errorf("signed in as %q", who)
	}
	if n := dbtest.Count(t, db, "SELECT count(*) FROM users WHERE email = 'grace@example.com' AND role = 'admin'"); n != 1 {
		t.Errorf("the first account is admin in %d rows, want 1", n)
	}
	s.screenshot("signed-in")

	// Signing out ends the session: the sign-in link is back.
	s.do(chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS(`a[href^="/login"]`)))
	if n := dbtest.Count(t, db, "SELECT count(*) FROM sessions"); n != 0 {
		t.Errorf("%d sessions remain after signing out", n)
	}
}

// TestBrowserCustomerJourney: a signed-in customer searches, reads an idea,
// votes in place, comments, posts a new idea with a suggestion offered while
// typing, and follows the idea's feed. Signing in itself is walked through
// in TestBrowserSignInWithOpenIDConnect.
func TestBrowserCustomerJourney(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	author := dbtest.User(t, db, "Sam Author", "sam@example.com", models.RoleMember)
	csv := dbtest.PostIdea(t, db, author, "Export reports as CSV", "Finance wants the monthly report in a **spreadsheet**.")
	dbtest.PostIdea(t, db, author, "Dark mode for the dashboard", "Easier on the eyes at night.")
	dbtest.PostIdea(t, db, author, "Slack notifications for new replies", "")
	// Nine votes, so that the customer's vote takes the count to two digits.
	addVoters(t, db, csv, 9)
	grace := dbtest.User(t, db, "Grace Hopper", "grace@example.com", models.RoleMember)
	s := newBrowserSite(t, db, nil)
	s.signInAs(grace)

	// Search from the home page.
	s.do(chromedp.Navigate(s.base+"/"), chromedp.WaitVisible(chromedp.CSS("#q")), chromedp.SendKeys(chromedp.CSS("#q"), "spreadsheet"))
	s.navigateBy(chromedp.Click(chromedp.CSS(".search-row button")))
	if loc := s.location(); loc != "/?q=spreadsheet" {
		t.Errorf("search lands on %s", loc)
	}
	if got := eval[[]string](s, `Array.from(document.querySelectorAll('.idea-row .idea-title')).map(e => e.textContent.trim())`); len(got) != 1 || got[0] != "Export reports as CSV" {
		t.Errorf("searching finds %q, want only the CSV idea", got)
	}
	s.screenshot("search")

	// Open the idea and vote: the page stays, the count and button change.
	s.navigateBy(chromedp.Click(chromedp.CSS(".idea-title a")))
	if loc := s.location(); loc != ideaPath(csv.ID, csv.Slug) {
		t.Errorf("the search result opens %s, want %s", loc, ideaPath(csv.ID, csv.Slug))
	}
	s.checkA11y("idea")
	s.screenshot("idea")
	eval[chromedp.Void](s, `window.journeyMarker = "same page"; undefined`)
	before := s.box(".vote-button")
	voteState := `[document.querySelector(".vote-count").textContent, document.querySelector(".vote-button").getAttribute("aria-pressed"), document.querySelector(".vote-label").textContent, window.journeyMarker || ""]`
	if got := eval[[]string](s, voteState); fmt.Sprint(got) != "[9 false Vote same page]" {
		t.Fatalf("before voting the button shows %q", got)
	}
	voteRows := "SELECT count(*) FROM votes WHERE idea_id = ? AND user_id = ?"
	s.do(chromedp.Click(chromedp.CSS(".vote-button")))
	s.waitFor(`document.querySelector(".vote-button").getAttribute("aria-pressed") === "true"`)
	if got := eval[[]string](s, voteState); fmt.Sprint(got) != "[10 true Voted same page]" {
		t.Errorf("after voting the button shows %q (count, pressed, label, marker)", got)
	}
	if n := dbtest.Count(t, db, voteRows, csv.ID, grace.ID); n != 1 {
		t.Errorf("%d vote rows after voting, want 1", n)
	}
	if n := dbtest.Count(t, db, "SELECT votes_count FROM ideas WHERE id = ?", csv.ID); n != 10 {
		t.Errorf("votes_count = %d after voting, want 10", n)
	}
	if after := s.box(".vote-button"); after != before {
		t.Errorf("the vote button moved from %v to %v when its count changed", before, after)
	}
	s.screenshot("idea-voted")
	// And back: unvoting also happens in place.
	s.do(chromedp.Click(chromedp.CSS(".vote-button")))
	s.waitFor(`document.querySelector(".vote-button").getAttribute("aria-pressed") === "false"`)
	if got := eval[[]string](s, voteState); fmt.Sprint(got) != "[9 false Vote same page]" {
		t.Errorf("after unvoting the button shows %q", got)
	}
	if n := dbtest.Count(t, db, voteRows, csv.ID, grace.ID); n != 0 {
		t.Errorf("%d vote rows after unvoting, want 0", n)
	}
	if after := s.box(".vote-button"); after != before {
		t.Errorf("the vote button moved from %v to %v when its count changed back", before, after)
	}

	// Comment: the page comes back at the new comment.
	s.do(chromedp.SendKeys(chromedp.CSS("#comment-body"), "Our auditors ask for this every quarter."))
	redirects, _ := s.navigateBy(chromedp.Click(chromedp.CSS(".comment-form button[type=submit]")))
	var commentID int64
	if err := db.Bun().QueryRow("SELECT id FROM comments WHERE idea_id = ? AND author_id = ?", csv.ID, grace.ID).Scan(&commentID); err != nil {
		t.Fatalf("the comment was not stored: %v", err)
	}
	if fmt.Sprint(redirects) != "[303]" || s.location() != ideaPath(csv.ID, csv.Slug) || eval[string](s, `location.hash`) != fmt.Sprintf("#comment-%d", commentID) {
		t.Errorf("commenting redirected %v to %s%s", redirects, s.location(), eval[string](s, `location.hash`))
	}
	if h := s.text("#comments-heading"); h != "1 comment" {
		t.Errorf("comments heading = %q", h)
	}
	if body := s.text(fmt.Sprintf("#comment-%d .prose", commentID)); body != "Our auditors ask for this every quarter." {
		t.Errorf("the comment reads %q", body)
	}
	s.screenshot("idea-commented")

	// Follow the idea: the page offers its feed in three formats, and each
	// link gives a feed document.
	links := eval[[][]string](s, `Array.from(document.querySelectorAll(".follow a")).map(a => [a.textContent, a.getAttribute("href")])`)
	feedPath := fmt.Sprintf("/ideas/%d/feed", csv.ID)
	if fmt.Sprint(links) != fmt.Sprintf("[[RSS %[1]s.rss] [Atom %[1]s.atom] [JSON Feed %[1]s.json]]", feedPath) {
		t.Errorf("follow links = %q", links)
	}
	s.followFeed(`.follow a[href$=".json"]`, "application/feed+json; charset=utf-8", csv.Title)
	s.followFeed(`.follow a[href$=".atom"]`, "application/atom+xml; charset=utf-8", csv.Title)
	s.followFeed(`.follow a[href$=".rss"]`, "application/rss+xml; charset=utf-8", csv.Title)

	// Post an idea: a similar one is offered while the title is typed.
	s.do(chromedp.Navigate(s.base+"/ideas/new"), chromedp.WaitVisible(chromedp.CSS("#title")))
	s.checkA11y("new idea")
	lookup, err := chromedp.Run(s.ctx, chromedp.WaitEvent(network.RequestWillBeSent,
		func(e network.EventRequestWillBeSent) bool {
			return strings.HasPrefix(e.Request.URL, s.base+"/ideas/similar?q=")
		},
		chromedp.SendKeys(chromedp.CSS("#title"), "CSV export of invoices")))
	if err != nil {
		t.Fatalf("typing a title asked for no suggestions: %v", err)
	}
	if lookup.Request.Method != "GET" {
		t.Errorf("suggestions asked with %s", lookup.Request.Method)
	}
	s.do(chromedp.WaitVisible(chromedp.CSS(".similar-list a")))
	suggested := eval[[][]string](s, `Array.from(document.querySelectorAll(".similar-list a")).map(a => [a.textContent, a.getAttribute("href")])`)
	if fmt.Sprint(suggested) != fmt.Sprintf("[[Export reports as CSV %s]]", ideaPath(csv.ID, csv.Slug)) {
		t.Errorf("while typing, the form suggests %q", suggested)
	}
	s.do(chromedp.SendKeys(chromedp.CSS("#body"), "Invoices as a CSV file for our accounting import."))
	s.screenshot("new-idea-similar")
	redirects, _ = s.navigateBy(chromedp.Click(chromedp.CSS(`.form-actions .btn-primary`)))
	var posted models.Idea
	if err := db.Bun().NewSelect().Model(&posted).Where("title = ?", "CSV export of invoices").Scan(context.Background()); err != nil {
		t.Fatalf("the new idea was not stored: %v", err)
	}
	if fmt.Sprint(redirects) != "[303]" || s.location() != ideaPath(posted.ID, posted.Slug) {
		t.Errorf("posting redirected %v to %s, want one 303 to %s", redirects, s.location(), ideaPath(posted.ID, posted.Slug))
	}
	if h := s.text("#idea-title"); h != "CSV export of invoices" {
		t.Errorf("the new idea's page is titled %q", h)
	}
	if posted.AuthorID != grace.ID || posted.Body != "Invoices as a CSV file for our accounting import." {
		t.Errorf("stored idea: author %d, body %q", posted.AuthorID, posted.Body)
	}
	if n := dbtest.Count(t, db, "SELECT count(*) FROM ideas"); n != 4 {
		t.Errorf("%d ideas after posting one, want 4", n)
	}
	s.screenshot("idea-posted")
}

// TestBrowserVotingWithoutJavaScript: with scripts off, voting is a plain
// form post that reloads the page, and the new-idea form checks for similar
// ideas on the server.
func TestBrowserVotingWithoutJavaScript(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	author := dbtest.User(t, db, "Sam Author", "sam@example.com", models.RoleMember)
	idea := dbtest.PostIdea(t, db, author, "Keyboard shortcuts for triage", "J and K to move, V to vote.")
	addVoters(t, db, idea, 3)
	ada := dbtest.User(t, db, "Ada Lovelace", "ada@example.com", models.RoleMember)
	site := newBrowserSite(t, db, nil)
	site.signInAs(ada)
	s := site.newTab()
	call(s, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})

	s.do(chromedp.Navigate(s.base+ideaPath(idea.ID, idea.Slug)), chromedp.WaitVisible(chromedp.CSS(".vote-button")))
	if ran := eval[bool](s, `typeof window.cluetrain === "object"`); ran {
		t.Fatal("the page's script ran although scripts are disabled")
	}
	redirects, resp := s.navigateBy(chromedp.Click(chromedp.CSS(".vote-button")))
	if fmt.Sprint(redirects) != "[303]" || resp.URL != s.base+ideaPath(idea.ID, idea.Slug) || resp.Status != 200 {
		t.Errorf("voting redirected %v to %s (%d), want one 303 back to the idea", redirects, resp.URL, resp.Status)
	}
	voteState := `[document.querySelector(".vote-count").textContent, document.querySelector(".vote-button").getAttribute("aria-pressed"), document.querySelector(".vote-label").textContent, document.querySelector(".vote-form").getAttribute("action")]`
	if got := eval[[]string](s, voteState); fmt.Sprint(got) != fmt.Sprintf("[4 true Voted /ideas/%d/unvote]", idea.ID) {
		t.Errorf("after voting the reloaded page shows %q", got)
	}
	if n := dbtest.Count(t, db, "SELECT count(*) FROM votes WHERE idea_id = ? AND user_id = ?", idea.ID, ada.ID); n != 1 {
		t.Errorf("%d vote rows after voting, want 1", n)
	}
	s.screenshot("idea-voted-no-js")

	redirects, _ = s.navigateBy(chromedp.Click(chromedp.CSS(".vote-button")))
	if got := eval[[]string](s, voteState); fmt.Sprint(redirects) != "[303]" || fmt.Sprint(got) != fmt.Sprintf("[3 false Vote /ideas/%d/vote]", idea.ID) {
		t.Errorf("after unvoting (redirects %v) the page shows %q", redirects, got)
	}
	if n := dbtest.Count(t, db, "SELECT votes_count FROM ideas WHERE id = ?", idea.ID); n != 3 {
		t.Errorf("votes_count = %d after unvoting, want 3", n)
	}

	// Similar ideas come from the server when the form's check button is used.
	s.do(chromedp.Navigate(s.base+"/ideas/new"), chromedp.WaitVisible(chromedp.CSS("#title")),
		chromedp.SendKeys(chromedp.CSS("#title"), "Shortcuts for the keyboard"))
	s.navigateBy(chromedp.Click(chromedp.CSS(`button[name="check"]`)))
	if got := eval[[]string](s, `Array.from(document.querySelectorAll(".similar-list a")).map(a => a.getAttribute("href"))`); len(got) != 1 || got[0] != ideaPath(idea.ID, idea.Slug) {
		t.Errorf("checking for similar ideas lists %q, want the shortcuts idea", got)
	}
	if v := eval[string](s, `document.querySelector("#title").value`); v != "Shortcuts for the keyboard" {
		t.Errorf("the title typed is kept as %q", v)
	}
	s.screenshot("new-idea-checked-no-js")
}

// A voter may withdraw a vote from a shipped idea, and with JavaScript the
// button then closes in place, as a reload would show it.
func TestBrowserUnvoteOnClosedIdea(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	s := newBrowserSite(t, db, nil)
	author := dbtest.User(t, db, "Ada Author", "ada@example.com", models.RoleMember)
	staff := dbtest.User(t, db, "Pat Manager", "pat@example.com", models.RoleStaff)
	voter := dbtest.User(t, db, "Vic Voter", "vic@example.com", models.RoleMember)
	idea := dbtest.PostIdea(t, db, author, "Export invoices as PDF", "For the accountants.")
	ctx := context.Background()
	if _, err := models.VoteFor(ctx, db, idea.ID, voter.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := models.ChangeStatus(ctx, db, idea.ID, staff, "done", "Shipped today."); err != nil {
		t.Fatal(err)
	}
	s.signInAs(voter)
	s.do(chromedp.Navigate(s.base+ideaPath(idea.ID, idea.Slug)), chromedp.WaitVisible(chromedp.CSS(".vote-button")))
	if disabled := eval[bool](s, `document.querySelector(".vote-button").disabled`); disabled {
		t.Fatal("a voter cannot withdraw a vote from a shipped idea")
	}
	s.do(chromedp.Click(chromedp.CSS(".vote-button")))
	s.waitFor(`document.querySelector(".vote-button").disabled`)
	if msg := s.text("[data-vote-message]"); msg != "This idea is no longer taking votes." {
		t.Errorf("after withdrawing, the note says %q", msg)
	}
	if n := dbtest.Count(t, db, "SELECT votes_count FROM ideas WHERE id = ?", idea.ID); n != 0 {
		t.Errorf("votes_count = %d after withdrawing, want 0", n)
	}
}

// addVoters gives the idea n votes from new members.
func addVoters(t *testing.T, db *models.DB, idea *models.Idea, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		u := dbtest.User(t, db, fmt.Sprintf("Voter %d-%d", idea.ID, i), fmt.Sprintf("voter-%d-%d@example.com", idea.ID, i), models.RoleMember)
		if _, err := models.VoteFor(context.Background(), db, idea.ID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
}
