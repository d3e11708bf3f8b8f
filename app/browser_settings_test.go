package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// An admin brands the portal in the browser, without JavaScript doing the
// work: a colour too light is refused beside the field with everything
// typed kept; a dark one, a name and a logo are saved and show at once on
// every page, readable in light and dark mode.
func TestBrowserSiteSettings(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	if _, err := models.Seed(context.Background(), db, models.SeedOptions{Users: 8, Ideas: 12, Votes: 30, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	ada := dbtest.User(t, db, "Ada Admin", "ada@example.com", models.RoleAdmin)
	s := newBrowserSite(t, db, nil)
	s.signInAs(ada)

	s.do(chromedp.Navigate(s.base+"/admin#settings"), chromedp.WaitVisible(chromedp.CSS("#site-name")))
	eval[chromedp.Void](s, `document.querySelector("#site-name").value = ""`)
	s.do(chromedp.SendKeys(chromedp.CSS("#site-name"), "Acme Ideas"),
		chromedp.SendKeys(chromedp.CSS("#site-welcome"), "Tell Acme what to build next."),
		chromedp.SendKeys(chromedp.CSS("#site-accent"), "#facc15"))
	_, final := s.navigateBy(chromedp.Click(chromedp.CSS(`#settings button[type=submit]`)))
	if final == nil || final.Status != 422 {
		t.Fatalf("a light accent answered %v, want 422", final)
	}
	if got := s.text("#site-accent-error"); !strings.Contains(got, "too light") {
		t.Errorf("the accent error says %q", got)
	}
	if got := eval[string](s, `document.querySelector("#site-name").value + "|" + document.querySelector("#site-welcome").value`); got != "Acme Ideas|Tell Acme what to build next." {
		t.Errorf("the refused form kept %q", got)
	}
	s.checkA11y("settings (refused)")
	s.screenshot("settings-refused")

	logo := filepath.Join(t.TempDir(), "logo.png")
	if err := os.WriteFile(logo, pngBytes(t, 64), 0o644); err != nil {
		t.Fatal(err)
	}
	eval[chromedp.Void](s, `document.querySelector("#site-accent").value = "#0f766e"`)
	s.do(chromedp.SetUploadFiles(chromedp.CSS(`#site-logo`), []string{logo}))
	redirects, _ := s.navigateBy(chromedp.Click(chromedp.CSS(`#settings button[type=submit]`)))
	if fmt.Sprint(redirects) != "[303]" || s.location() != "/admin?saved=settings" {
		t.Errorf("saving redirected %v to %s, want one 303 to the admin page", redirects, s.location())
	}
	if got := s.text(".brand span"); got != "Acme Ideas" {
		t.Errorf("the header names %q", got)
	}
	if !eval[bool](s, `document.querySelector(".brand img").naturalWidth === 64`) {
		t.Error("the header does not show the uploaded logo")
	}
	if got := eval[string](s, `getComputedStyle(document.documentElement).getPropertyValue("--accent").trim()`); got != "#0f766e" {
		t.Errorf("the accent is %q", got)
	}
	s.checkA11y("admin (branded)")
	s.screenshot("settings-saved")

	s.do(chromedp.Navigate(s.base+"/"), chromedp.WaitVisible(chromedp.CSS(".hero")))
	if got := s.text(".hero .lead"); got != "Tell Acme what to build next." {
		t.Errorf("the home page welcomes with %q", got)
	}
	s.checkA11y("home (branded)")
	s.screenshot("home-branded")
}

// The statuses editor adds a status that the roadmap shows as a column;
// closing the portal sends a signed-out visitor to sign in.
func TestBrowserStatusesAndPrivatePortal(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	if _, err := models.Seed(context.Background(), db, models.SeedOptions{Users: 8, Ideas: 12, Votes: 30, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	ada := dbtest.User(t, db, "Ada Admin", "ada@example.com", models.RoleAdmin)
	s := newBrowserSite(t, db, nil)
	s.signInAs(ada)

	// A new status, on the roadmap.
	s.do(chromedp.Navigate(s.base+"/admin#statuses"), chromedp.WaitVisible(chromedp.CSS("#statuses")),
		chromedp.Click(chromedp.CSS("#statuses .admin-new summary")), chromedp.WaitVisible(chromedp.CSS("#status-new-name")),
		chromedp.SendKeys(chromedp.CSS("#status-new-name"), "Beta"),
		chromedp.Click(chromedp.CSS("#status-new-roadmap")))
	redirects, _ := s.navigateBy(chromedp.Click(chromedp.CSS("#statuses .admin-new button[type=submit]")))
	if fmt.Sprint(redirects) != "[303]" {
		t.Errorf("creating a status redirected %v", redirects)
	}
	s.checkA11y("admin (statuses)")
	s.do(chromedp.Navigate(s.base+"/roadmap"), chromedp.WaitVisible(chromedp.CSS("main")))
	if !strings.Contains(s.text("main"), "Beta") {
		t.Error("the roadmap has no Beta column")
	}

	// Close the portal; a signed-out tab is sent to sign in.
	s.do(chromedp.Navigate(s.base+"/admin#settings"), chromedp.WaitVisible(chromedp.CSS("#private-on")),
		chromedp.Click(chromedp.CSS("#private-on")))
	s.navigateBy(chromedp.Click(chromedp.CSS(`#settings button[type=submit]`)))
	if n := dbtest.Count(t, db, "SELECT count(*) FROM settings WHERE key = 'site_private' AND value = 'on'"); n != 1 {
		t.Fatalf("the portal is not private (%d)", n)
	}
	call(s, network.ClearBrowserCookies, cdp.Empty{})
	visitor := s.newTab()
	redirects, _ = visitor.navigateBy(chromedp.Navigate(s.base + "/roadmap"))
	if fmt.Sprint(redirects) != "[303]" || visitor.location() != "/login?next=%2Froadmap" {
		t.Errorf("a signed-out visitor went %v to %s, want one 303 to /login", redirects, visitor.location())
	}
	visitor.checkA11y("login (private portal)")
}
