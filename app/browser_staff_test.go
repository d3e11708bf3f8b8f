package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func TestBrowserRoadmapChangelogTriage(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	if _, err := models.Seed(context.Background(), db, models.SeedOptions{Users: 30, Ideas: 60, Votes: 500, Seed: 9}); err != nil {
		t.Fatal(err)
	}
	s := newBrowserSite(t, db, nil)

	// A visitor reads the roadmap as a board and the changelog.
	s.do(chromedp.Navigate(s.base+"/roadmap"), chromedp.WaitVisible(chromedp.CSS(".roadmap")))
	if cols := eval[int](s, `document.querySelectorAll('.roadmap-col').length`); cols != 3 {
		t.Errorf("roadmap has %d columns, want 3", cols)
	}
	if n := eval[int](s, `document.querySelectorAll('.card-actions').length`); n != 0 {
		t.Errorf("a visitor sees %d staff controls on the roadmap", n)
	}
	s.checkA11y("roadmap")
	s.screenshot("roadmap")
	s.do(chromedp.Navigate(s.base + "/changelog"))
	s.checkA11y("changelog")
	s.screenshot("changelog")

	// Staff reorder the planned column without JavaScript's help: the form
	// buttons post and the page comes back in the new order.
	staff := dbtest.User(t, db, "Pat Manager", "pat@example.com", models.RoleStaff)
	s.signInAs(staff)
	s.do(chromedp.Navigate(s.base+"/roadmap"), chromedp.WaitVisible(chromedp.CSS(".card-actions")))
	order := `Array.from(document.querySelectorAll('[data-status="planned"] .roadmap-card')).map(c => c.dataset.card).join(',')`
	before := eval[string](s, order)
	ids := strings.Split(before, ",")
	if len(ids) < 2 {
		t.Fatalf("planned column has %d cards; the seed should give several", len(ids))
	}
	redirects, _ := s.navigateBy(chromedp.Click(chromedp.CSS(`[data-status="planned"] .roadmap-card:first-child button[aria-label$="down"]`)))
	if fmt.Sprint(redirects) != "[303]" || s.location() != "/roadmap" {
		t.Errorf("moving a card redirected %v to %s, want one 303 back to the roadmap", redirects, s.location())
	}
	after := strings.Split(eval[string](s, order), ",")
	if after[0] != ids[1] || after[1] != ids[0] {
		t.Errorf("after moving the first card down: %v, was %v", after[:2], ids[:2])
	}
	s.screenshot("roadmap-staff")

	s.do(chromedp.Navigate(s.base+"/triage"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	s.checkA11y("triage")
	s.screenshot("triage")
}

// TestBrowserStaffJourney: staff plan and answer an idea from triage, the
// answer shows on the idea page and the roadmap, then they mark it done from
// the idea's staff panel and it appears on the changelog. Reordering the
// roadmap is walked through in TestBrowserRoadmapChangelogTriage.
func TestBrowserStaffJourney(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	author := dbtest.User(t, db, "Sam Author", "sam@example.com", models.RoleMember)
	sso := dbtest.PostIdea(t, db, author, "Single sign-on with SAML", "Our IT team requires SAML for every tool.")
	addVoters(t, db, sso, 5)
	other := dbtest.PostIdea(t, db, author, "Weekly digest email", "")
	addVoters(t, db, other, 2)
	pat := dbtest.User(t, db, "Pat Manager", "pat@example.com", models.RoleStaff)
	s := newBrowserSite(t, db, nil)
	s.signInAs(pat)

	row := fmt.Sprintf("#idea-%d", sso.ID)
	s.do(chromedp.Navigate(s.base+"/triage"), chromedp.WaitVisible(chromedp.CSS(row)))
	if got := eval[[]string](s, `Array.from(document.querySelectorAll(".triage-row .idea-title")).map(e => e.textContent.trim())`); fmt.Sprint(got) != "[Single sign-on with SAML Weekly digest email]" {
		t.Errorf("triage lists %q, most votes first", got)
	}
	answer := "Planned for the spring release. We start with Okta and Entra ID."
	plan := fmt.Sprintf("#plan-%d", sso.ID)
	s.do(chromedp.Click(chromedp.CSS(row+" .triage-action summary.btn-primary")), chromedp.WaitVisible(chromedp.CSS(plan)))
	if text := eval[string](s, `document.querySelector(`+strconv.Quote(plan)+`).value`); !strings.HasPrefix(text, "Good news: this is planned.") {
		t.Errorf("the plan form offers the answer %q", text)
	}
	eval[chromedp.Void](s, `document.querySelector(`+strconv.Quote(plan)+`).value = ""; undefined`)
	s.do(chromedp.SendKeys(chromedp.CSS(plan), answer))
	s.checkA11y("triage (plan form open)")
	s.screenshot("triage-plan")
	redirects, _ := s.navigateBy(chromedp.Click(chromedp.CSS(row + " .triage-form button")))
	if fmt.Sprint(redirects) != "[303]" || s.location() != "/triage" {
		t.Errorf("planning redirected %v to %s, want one 303 back to triage", redirects, s.location())
	}
	if n := eval[int](s, `document.querySelectorAll(".triage-row").length`); n != 1 || eval[bool](s, `document.querySelector(`+strconv.Quote(row)+`) !== null`) {
		t.Errorf("triage still lists %d rows with the planned idea among them", n)
	}
	if n := dbtest.Count(t, db, "SELECT count(*) FROM ideas i JOIN statuses s ON s.id = i.status_id WHERE i.id = ? AND s.slug = 'planned' AND i.response = ? AND i.response_author_id = ?", sso.ID, answer, pat.ID); n != 1 {
		t.Errorf("the idea is planned with the answer in %d rows, want 1", n)
	}

	// The answer is on the idea page, badged, and the idea is on the roadmap.
	s.do(chromedp.Navigate(s.base+ideaPath(sso.ID, sso.Slug)), chromedp.WaitVisible(chromedp.CSS(".response")))
	if got := []string{eval[string](s, `document.querySelector(".response .badge").textContent`), s.text(".response .prose"), s.text(".idea-heading .status")}; fmt.Sprint(got) != "[Official response "+answer+" Planned]" {
		t.Errorf("the idea page shows %q", got)
	}
	s.checkA11y("idea (staff)")
	s.screenshot("idea-planned")
	s.do(chromedp.Navigate(s.base + "/roadmap"))
	if got := eval[[]string](s, `Array.from(document.querySelectorAll('[data-status="planned"] .roadmap-card h3')).map(e => e.textContent.trim())`); fmt.Sprint(got) != "[Single sign-on with SAML]" {
		t.Errorf("the planned column shows %q", got)
	}

	// A merge into an idea that does not exist comes back, 422, with the
	// number kept and the focus on it; the panel is still there to use.
	merge := fmt.Sprintf("#staff-merge-%d", sso.ID)
	s.do(chromedp.Navigate(s.base+ideaPath(sso.ID, sso.Slug)), chromedp.WaitVisible(chromedp.CSS(".staff-panel")),
		chromedp.SendKeys(chromedp.CSS(merge), "99999"))
	redirects, final := s.navigateBy(chromedp.Click(chromedp.CSS(`.staff-panel form[action$="/merge"] button`)))
	if len(redirects) != 0 || final == nil || final.Status != 422 {
		t.Errorf("a merge into no idea answered %v, redirects %v, want 422", final, redirects)
	}
	// autofocus is applied once the page has settled.
	s.waitFor(`document.activeElement && document.activeElement.id === ` + strconv.Quote(merge[1:]))
	if got := []string{eval[string](s, `document.activeElement.id`), eval[string](s, `document.querySelector(`+strconv.Quote(merge)+`).value`), s.text(merge + "-error")}; fmt.Sprint(got) != "["+merge[1:]+" 99999 There is no idea #99999.]" {
		t.Errorf("the refused merge shows %q", got)
	}
	s.checkA11y("idea (staff, refused merge)")
	s.screenshot("idea-merge-refused")

	// Done, from the staff panel of that page.
	shipped := "Shipped in 2.4: turn on SAML under Settings, Security."
	s.do(chromedp.SetValue(chromedp.CSS(fmt.Sprintf("#staff-status-%d", sso.ID)), "done"),
		chromedp.SendKeys(chromedp.CSS(fmt.Sprintf("#staff-response-%d", sso.ID)), shipped))
	redirects, _ = s.navigateBy(chromedp.Click(chromedp.CSS(`.staff-panel form[action$="/status"] button`)))
	if fmt.Sprint(redirects) != "[303]" || s.location() != ideaPath(sso.ID, sso.Slug) {
		t.Errorf("marking done redirected %v to %s, want one 303 back to the idea", redirects, s.location())
	}
	if got := []string{s.text(".idea-heading .status"), s.text(".response .prose"), s.text("#vote-closed")}; fmt.Sprint(got) != "[Done "+shipped+" This idea is no longer taking votes.]" {
		t.Errorf("the done idea shows %q", got)
	}
	if n := dbtest.Count(t, db, "SELECT count(*) FROM ideas i JOIN statuses s ON s.id = i.status_id WHERE i.id = ? AND s.slug = 'done' AND i.response = ?", sso.ID, shipped); n != 1 {
		t.Errorf("the idea is done with the note in %d rows, want 1", n)
	}
	if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE idea_id = ? AND kind = ?", sso.ID, models.EventStatusChanged); n != 2 {
		t.Errorf("%d status events, want 2 (planned, done)", n)
	}
	s.screenshot("idea-done")

	s.do(chromedp.Navigate(s.base+"/changelog"), chromedp.WaitVisible(chromedp.CSS(".changelog-entry")))
	if got := []string{s.text(".changelog-entry h2"), s.text(".changelog-response"), s.text(".changelog-entry .response-by")}; fmt.Sprint(got) != "[Single sign-on with SAML "+shipped+" Pat Manager · Staff]" {
		t.Errorf("the changelog shows %q", got)
	}
	s.screenshot("changelog-shipped")
	s.followFeed(`.follow a[href$=".rss"]`, "application/rss+xml; charset=utf-8", sso.Title)
}

// An admin creates a private board without JavaScript's help, is told what
// to fix when a form is wrong, and looks up an account; the page passes axe
// in light and dark, and fits a phone.
func TestBrowserAdmin(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	if _, err := models.Seed(context.Background(), db, models.SeedOptions{Users: 12, Ideas: 20, Votes: 60, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	ada := dbtest.User(t, db, "Ada Admin", "ada@example.com", models.RoleAdmin)
	dbtest.User(t, db, "Pat Manager", "pat@example.com", models.RoleStaff)
	dbtest.User(t, db, "Ann Customer", "ann@example.com", models.RoleMember)
	s := newBrowserSite(t, db, nil)
	s.signInAs(ada)

	s.do(chromedp.Navigate(s.base+"/"), chromedp.WaitVisible(chromedp.CSS(".site-nav")))
	s.do(chromedp.Click(chromedp.CSS(`.site-nav a[href="/admin"]`)), chromedp.WaitVisible(chromedp.CSS("#boards")))
	s.checkA11y("admin")
	s.screenshot("admin")

	s.do(chromedp.Click(chromedp.CSS(".admin-new summary")), chromedp.WaitVisible(chromedp.CSS("#board-new-name")),
		chromedp.SendKeys(chromedp.CSS("#board-new-name"), "Internal roadmap"),
		chromedp.Click(chromedp.CSS("#board-new-private")))
	redirects, _ := s.navigateBy(chromedp.Click(chromedp.CSS(".admin-new button[type=submit]")))
	if fmt.Sprint(redirects) != "[303]" || s.location() != "/admin" {
		t.Errorf("creating a board redirected %v to %s, want one 303 back to the admin page", redirects, s.location())
	}
	if n := dbtest.Count(t, db, "SELECT count(*) FROM boards WHERE slug = 'internal-roadmap' AND is_private = ?", true); n != 1 {
		t.Errorf("%d private internal-roadmap boards, want 1", n)
	}
	if got := eval[string](s, `location.hash`); got == "" || s.text(got+" h3") != "Internal roadmap private" {
		t.Errorf("the page lands on %q", got)
	}

	// A board named as an existing one: its slug is taken, said by the field.
	s.do(chromedp.Click(chromedp.CSS(".admin-new summary")), chromedp.WaitVisible(chromedp.CSS("#board-new-name")),
		chromedp.SendKeys(chromedp.CSS("#board-new-name"), "Internal roadmap"))
	_, final := s.navigateBy(chromedp.Click(chromedp.CSS(".admin-new button[type=submit]")))
	if final == nil || final.Status != 422 {
		t.Errorf("a taken slug answered %v, want 422", final)
	}
	if got := s.text("#board-new-slug-error"); !strings.Contains(got, "Another board already uses") {
		t.Errorf("the slug error says %q", got)
	}
	s.checkA11y("admin (refused form)")
	s.screenshot("admin-refused")

	s.do(chromedp.Navigate(s.base+"/admin?email=ann@example.com#people"), chromedp.WaitVisible(chromedp.CSS(".admin-account")))
	if got := s.text(".admin-account strong"); got != "Ann Customer" {
		t.Errorf("found %q", got)
	}
	s.checkA11y("admin (account)")
	s.screenshot("admin-account")
}
