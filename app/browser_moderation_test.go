package app

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// The moderation journey in a browser without help from scripts' results:
// a member's idea waits (its author sees the notice, another member gets
// 404), staff approve it from the queue, a member reports it, staff hide it
// from the queue, and the admin reads it all in the audit log. Every page
// passes axe in light and dark mode, colour contrast included.
func TestBrowserModeration(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	cast := dbtest.People(t, db)
	dbtest.PostIdea(t, db, cast.Bob, "Export to CSV", "A public idea beside the waiting one.")
	setApproval(t, db, models.ApprovalAll)
	s := newBrowserSite(t, db, nil)

	// Ann posts; the honeypot is off-screen and empty, so the post is real.
	s.signInAs(cast.Ann)
	s.do(chromedp.Navigate(s.base+"/ideas/new"), chromedp.WaitVisible(chromedp.CSS("#title")))
	if off := eval[bool](s, `document.querySelector('.hp').getBoundingClientRect().right < 0`); !off {
		t.Error("the honeypot is on screen")
	}
	s.do(chromedp.SendKeys(chromedp.CSS("#title"), "Keyboard shortcuts for triage"))
	redirects, _ := s.navigateBy(chromedp.Click(chromedp.CSS(`.idea-form button[type=submit]`)))
	if fmt.Sprint(redirects) != "[303]" {
		t.Fatalf("posting redirected %v", redirects)
	}
	page := s.location()
	if got := s.text(".waiting-notice p"); !strings.Contains(got, "Waiting for approval. Only you and the team can see this idea") {
		t.Errorf("the waiting notice says %q", got)
	}
	s.checkA11y("idea (waiting, author)")
	s.screenshot("idea-waiting")

	s.signInAs(cast.Bob)
	if _, final := s.navigateBy(chromedp.Navigate(s.base + page)); final == nil || final.Status != 404 {
		t.Errorf("another member reads the waiting idea: %v", final)
	}

	// Staff approve it from the queue.
	s.signInAs(cast.Staff)
	s.do(chromedp.Navigate(s.base+"/admin/queue"), chromedp.WaitVisible(chromedp.CSS("#pending")))
	if got := s.text("#pending h3"); got != "Keyboard shortcuts for triage" {
		t.Errorf("the queue's first idea is %q", got)
	}
	s.checkA11y("queue")
	s.screenshot("queue")
	redirects, _ = s.navigateBy(chromedp.Click(chromedp.CSS(`#pending .btn-primary`)))
	if fmt.Sprint(redirects) != "[303]" || s.location() != "/admin/queue" {
		t.Errorf("approving redirected %v to %s", redirects, s.location())
	}
	if n, _ := models.CountPending(context.Background(), db); n != 0 {
		t.Errorf("%d ideas wait after approval", n)
	}

	// Bob reports it, from the idea page, without scripts' help.
	s.signInAs(cast.Bob)
	s.do(chromedp.Navigate(s.base+page), chromedp.WaitVisible(chromedp.CSS(".idea-page")),
		chromedp.Click(chromedp.CSS(".report summary")), chromedp.WaitVisible(chromedp.CSS("#report-idea")))
	s.checkA11y("idea (report form open)")
	s.do(chromedp.SendKeys(chromedp.CSS("#report-idea"), "Posted twice"))
	redirects, _ = s.navigateBy(chromedp.Click(chromedp.CSS(".report-form button")))
	if fmt.Sprint(redirects) != "[303]" || !strings.HasSuffix(s.location(), "?reported=1") {
		t.Errorf("reporting redirected %v to %s", redirects, s.location())
	}
	if got := s.text(`.notice[role=status]`); !strings.Contains(got, "Thank you for the report") {
		t.Errorf("after reporting the page says %q", got)
	}

	// Staff hide it from the queue.
	s.signInAs(cast.Staff)
	s.do(chromedp.Navigate(s.base+"/admin/queue"), chromedp.WaitVisible(chromedp.CSS("#reports")))
	if got := s.text("#reports .queue-reasons"); got != "Posted twice" {
		t.Errorf("the report's reasons read %q", got)
	}
	s.checkA11y("queue (a report)")
	s.screenshot("queue-report")
	redirects, _ = s.navigateBy(chromedp.Click(chromedp.CSS(`#reports button[value=hide]`)))
	if fmt.Sprint(redirects) != "[303]" {
		t.Errorf("hiding redirected %v", redirects)
	}
	if n := dbtest.Count(t, db, "SELECT count(*) FROM ideas WHERE hidden_at IS NOT NULL"); n != 1 {
		t.Errorf("%d hidden ideas, want 1", n)
	}

	// The admin reads who did what.
	s.signInAs(cast.Admin)
	s.do(chromedp.Navigate(s.base+"/admin/audit"), chromedp.WaitVisible(chromedp.CSS(".audit-table")))
	rows := eval[[]string](s, `[...document.querySelectorAll('.audit-table tbody tr')].map(r => [...r.cells].slice(1).map(c => c.textContent.trim()).join(' | '))`)
	want := []string{
		"Sam Staff | Report acted on | Idea #2 | Hidden after 1 report",
		"Sam Staff | Idea hidden | Idea #2 “Keyboard shortcuts for triage” | Hidden",
		"Sam Staff | Idea approved | Idea #2 “Keyboard shortcuts for triage” | Approved",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit rows:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	s.checkA11y("audit log")
	s.screenshot("audit")
}
