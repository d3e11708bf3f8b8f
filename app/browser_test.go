package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// Browser tests drive Debian's Chromium through chromedp against the real
// server on a loopback port. They click, type and look; every flow saves
// screenshots at desktop and phone widths into a temporary folder and prints
// where. Outside CI a missing Chromium or axe-core skips the test before it
// starts; under CI=true it fails.

// browserSite is a served portal plus a browser pointed at it.
type browserSite struct {
	t     *testing.T
	ta    *testApp
	base  string
	ctx   context.Context
	shots string
	axe   string // axe-core's source, run by checkA11y
}

func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CHROMIUM_PATH"), "chromium", "chromium-browser", "google-chrome"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("Chromium is not installed (set CHROMIUM_PATH or apt-get install chromium); CI=true requires the browser tests to run")
	}
	t.Skip("Chromium is not installed; skipping browser tests")
	return ""
}

// newBrowserSite serves ta on a loopback port (BASE_URL must match, so the
// app is built here) and opens a headless browser.
func newBrowserSite(t *testing.T, db *models.DB, env map[string]string, opts ...Option) *browserSite {
	t.Helper()
	exe := chromiumPath(t)
	axe := axeSource(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", ln.Addr().(*net.TCPAddr).Port)
	e := map[string]string{"BASE_URL": base}
	for k, v := range env {
		e[k] = v
	}
	ta := newTestAppWith(t, db, e, append([]Option{WithoutRateLimits()}, opts...)...)
	// The browser sees real time; the clock only needs to be sensible.
	db.SetClock(func() time.Time { return time.Now().UTC() })
	go func() { _ = ta.fiber.Listener(ln) }()
	t.Cleanup(func() { _ = ta.fiber.ShutdownWithTimeout(2 * time.Second) })

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(exe),
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.UserDataDir(t.TempDir()),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.WindowSize(1280, 900),
		)...)
	browserCtx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first action starts the browser; it must not run under a timeout.
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(browserCtx, 2*time.Minute)
	t.Cleanup(cancelTimeout)

	shots := filepath.Join(os.TempDir(), "cluetrain-screenshots", sanitizeName(t.Name()))
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	return &browserSite{t: t, ta: ta, base: base, ctx: ctx, shots: shots, axe: axe}
}

func sanitizeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' || r == ':' {
			return '_'
		}
		return r
	}, s)
}

// do runs browser actions and fails the test on error.
func (s *browserSite) do(steps ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	if err := chromedp.Do(s.ctx, steps...); err != nil {
		s.t.Fatalf("browser: %v", err)
	}
}

// eval evaluates JavaScript in the page and returns its value.
func eval[T any](s *browserSite, expr string) T {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		s.t.Fatalf("browser: evaluate %q: %v", expr, err)
	}
	return v
}

// text returns the text of the first element matching a CSS selector.
func (s *browserSite) text(css string) string {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		s.t.Fatalf("browser: text of %s: %v", css, err)
	}
	return strings.TrimSpace(v)
}

// call sends one DevTools command.
func call[P any](s *browserSite, cmd cdp.Command[P, cdp.Empty], params P) {
	s.t.Helper()
	if _, err := chromedp.Call(s.ctx, cmd, params); err != nil {
		s.t.Fatalf("browser: %s: %v", cmd.Method, err)
	}
}

// signInAs puts a stored session for u into the browser's cookie jar.
func (s *browserSite) signInAs(u *models.User) {
	s.t.Helper()
	c := s.ta.client()
	c.signInAs(u)
	yes := true
	call(s, network.SetCookie, network.SetCookieParams{
		Name: "cluetrain_session", Value: c.cookies["cluetrain_session"],
		Domain: "127.0.0.1", Path: "/", HTTPOnly: &yes,
	})
}

// screenshot saves the current page at desktop and phone widths.
func (s *browserSite) screenshot(name string) {
	s.t.Helper()
	for _, v := range []struct {
		label         string
		width, height int64
		mobile        bool
	}{{"desktop", 1280, 900, false}, {"phone", 390, 844, true}} {
		opts := []chromedp.EmulateViewportOption{}
		if v.mobile {
			opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
		}
		s.do(chromedp.EmulateViewport(v.width, v.height, opts...),
			chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
		// Shoot once the page is laid out at the new width and scrolled to
		// the top; the screenshot itself paints a fresh frame.
		s.waitFor(fmt.Sprintf(`window.innerWidth === %d && window.scrollY === 0`, v.width))
		png, err := chromedp.Run(s.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			s.t.Fatalf("screenshot: %v", err)
		}
		path := filepath.Join(s.shots, name+"-"+v.label+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			s.t.Fatal(err)
		}
		s.t.Logf("screenshot: %s", path)
		if v.mobile {
			// A phone layout needs no horizontal scroll.
			if eval[bool](s, `document.documentElement.scrollWidth > document.documentElement.clientWidth + 1`) {
				s.t.Errorf("%s: the page scrolls sideways at %dpx", name, v.width)
			}
		}
	}
	s.do(chromedp.EmulateReset())
}

// axeSource reads axe-core, installed by .ci/run into a git-ignored folder.
// Without it the test skips (fails under CI=true) here, at its start, rather
// than at its first accessibility check.
func axeSource(t *testing.T) string {
	t.Helper()
	p := os.Getenv("AXE_CORE_PATH")
	if p == "" {
		p = filepath.Join("..", ".ci", "cache", "axe", "node_modules", "axe-core", "axe.min.js")
	}
	src, err := os.ReadFile(p)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("axe-core not readable at %s (set AXE_CORE_PATH): %v; CI=true requires the accessibility checks", p, err)
		}
		t.Skipf("axe-core not found at %s; skipping browser tests (.ci/run installs it)", p)
	}
	return string(src)
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		HTML string `json:"html"`
	} `json:"nodes"`
}

// checkA11y runs axe-core on the current page, in light and dark mode, and
// fails on any serious or critical violation.
func (s *browserSite) checkA11y(page string) {
	s.t.Helper()
	for _, scheme := range []string{"light", "dark"} {
		call(s, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		eval[chromedp.Void](s, s.axe+";undefined")
		raw := eval[string](s, `axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`)
		var vs []axeViolation
		if err := json.Unmarshal([]byte(raw), &vs); err != nil {
			s.t.Fatalf("axe result: %v", err)
		}
		for _, v := range vs {
			if v.Impact == "serious" || v.Impact == "critical" {
				var where []string
				for _, n := range v.Nodes {
					where = append(where, n.HTML)
				}
				s.t.Errorf("%s (%s mode): axe %s %s: %s\n  %s", page, scheme, v.Impact, v.ID, v.Help, strings.Join(where, "\n  "))
			}
		}
	}
	call(s, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
}

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

// navigateBy runs an action that leaves the page (a click on a link or a
// submit button), waits for the next page to load and returns the status
// of every redirect on the way there and the final document's response.
func (s *browserSite) navigateBy(trigger chromedp.Action[chromedp.Void]) (redirects []int64, final *network.Response) {
	s.t.Helper()
	lctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	var mu sync.Mutex
	if err := chromedp.Listen(lctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Type == network.ResourceTypeDocument && e.RedirectResponse != nil {
			mu.Lock()
			redirects = append(redirects, e.RedirectResponse.Status)
			mu.Unlock()
		}
	}); err != nil {
		s.t.Fatalf("browser: listen: %v", err)
	}
	final, err := chromedp.RunResponse(s.ctx, trigger)
	if err != nil {
		s.t.Fatalf("browser: navigate: %v", err)
	}
	cancel()
	mu.Lock()
	defer mu.Unlock()
	return append([]int64(nil), redirects...), final
}

// location is the path and query the browser shows.
func (s *browserSite) location() string {
	s.t.Helper()
	return eval[string](s, `location.pathname + location.search`)
}

// waitFor polls a JavaScript condition until it holds.
func (s *browserSite) waitFor(cond string) {
	s.t.Helper()
	if _, err := chromedp.Run(s.ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		s.t.Fatalf("browser: waiting for %s: %v", cond, err)
	}
}

// box is an element's rendered width and height.
func (s *browserSite) box(css string) [2]float64 {
	s.t.Helper()
	return eval[[2]float64](s, `(r => [r.width, r.height])(document.querySelector(`+strconv.Quote(css)+`).getBoundingClientRect())`)
}

// newTab opens another tab of the same browser, sharing its cookies.
func (s *browserSite) newTab() *browserSite {
	s.t.Helper()
	ctx, cancel := chromedp.NewContext(s.ctx)
	s.t.Cleanup(cancel)
	tab := *s
	tab.ctx = ctx
	tab.do()
	return &tab
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

// followFeed clicks a feed link, checks the browser gets a feed document of
// the content type that names title, and returns to the page.
func (s *browserSite) followFeed(link, contentType, title string) {
	s.t.Helper()
	href := eval[string](s, `document.querySelector(`+strconv.Quote(link)+`).href`)
	page := eval[string](s, `location.href`)
	_, resp := s.navigateBy(chromedp.Click(chromedp.CSS(link)))
	if resp == nil || resp.URL != href || resp.Status != 200 || resp.Headers["Content-Type"] != contentType {
		s.t.Errorf("following %s: got %+v, want 200 with Content-Type %s", href, resp, contentType)
	}
	if doc := eval[string](s, `document.documentElement.textContent`); !strings.Contains(doc, title) {
		s.t.Errorf("%s does not name %q:\n%s", href, title, doc)
	}
	s.do(chromedp.Navigate(page))
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
