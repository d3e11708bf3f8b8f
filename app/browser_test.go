package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
// where. Outside CI a missing Chromium or axe-core skips; under CI=true it
// fails.

// browserSite is a served portal plus a browser pointed at it.
type browserSite struct {
	t     *testing.T
	ta    *testApp
	base  string
	ctx   context.Context
	shots string
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
	return &browserSite{t: t, ta: ta, base: base, ctx: ctx, shots: shots}
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
			chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`),
			chromedp.Sleep(80*time.Millisecond))
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

// axePath finds axe-core, installed by .ci/run into a git-ignored folder.
func axePath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("AXE_CORE_PATH")
	if p == "" {
		p = filepath.Join("..", ".ci", "cache", "axe", "node_modules", "axe-core", "axe.min.js")
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("axe-core not found at %s (set AXE_CORE_PATH); CI=true requires the accessibility checks", p)
		}
		t.Skipf("axe-core not found at %s; skipping accessibility checks (.ci/run installs it)", p)
	}
	return p
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
	src, err := os.ReadFile(axePath(s.t))
	if err != nil {
		s.t.Fatal(err)
	}
	for _, scheme := range []string{"light", "dark"} {
		call(s, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		eval[chromedp.Void](s, string(src)+";undefined")
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
	s.do(chromedp.Click(chromedp.CSS(`[data-status="planned"] .roadmap-card:first-child button[aria-label$="down"]`)),
		chromedp.Sleep(300*time.Millisecond), chromedp.WaitVisible(chromedp.CSS(".roadmap")))
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
	if loc, _ := chromedp.Run(s.ctx, chromedp.Location()); loc != s.base+"/roadmap" {
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
