package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// signInByEmail signs the client in through an emailed link (written to the
// log, as without SMTP_URL) and returns the response to following it.
func signInByEmail(t *testing.T, ta *testApp, c *client, email, next string) *http.Response {
	t.Helper()
	wantStatus(t, c.post("/login/email", url.Values{"email": {email}, "next": {next}}), http.StatusOK)
	links := linkRe.FindAllString(ta.logs.String(), -1)
	if len(links) == 0 {
		t.Fatal("no sign-in link in the log")
	}
	return c.get(strings.TrimPrefix(links[len(links)-1], "http://portal.test"))
}

func signedIn(t *testing.T, c *client) bool {
	t.Helper()
	return strings.Contains(wantStatus(t, c.get("/"), http.StatusOK), `action="/logout"`)
}

func TestSessionIDChangesAtSignIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		// An attacker plants a session id they know (here one of their own,
		// live on the server) in the victim's browser.
		c := ta.client()
		c.signInAs(dbtest.User(t, db, "Attacker", "attacker@example.com", models.RoleMember))
		planted := c.cookies["cluetrain_session"]
		wantStatus(t, signInByEmail(t, ta, c, "victim@example.com", "/"), http.StatusSeeOther)
		id := c.cookies["cluetrain_session"]
		if id == "" || id == planted {
			t.Fatalf("session id after sign-in = %q", id)
		}
		if !signedIn(t, c) {
			t.Fatal("not signed in")
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM sessions"); n != 1 {
			t.Errorf("sessions = %d, want only the new one", n)
		}
		attacker := ta.client()
		attacker.cookies["cluetrain_session"] = planted
		if signedIn(t, attacker) {
			t.Error("the planted session id is still signed in")
		}
	})
}

func TestSessionCookieAttributes(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	for _, tc := range []struct {
		base, name string
		secure     bool
	}{
		{"http://portal.test", "cluetrain_session", false},
		{"https://portal.test", "__Host-cluetrain_session", true},
	} {
		ta := newTestAppWith(t, db, map[string]string{"BASE_URL": tc.base}, WithoutRateLimits())
		c := ta.client()
		wantStatus(t, c.post("/login/email", url.Values{"email": {"cookie@example.com"}}), http.StatusOK)
		link := linkRe.FindAllString(strings.ReplaceAll(ta.logs.String(), "https://", "http://"), -1)
		resp := c.get(strings.TrimPrefix(link[len(link)-1], "http://portal.test"))
		wantStatus(t, resp, http.StatusSeeOther)
		var found *http.Cookie
		for _, ck := range resp.Cookies() {
			if strings.HasSuffix(ck.Name, "cluetrain_session") && ck.Value != "" {
				found = ck
			}
		}
		if found == nil {
			t.Fatalf("%s: no session cookie", tc.base)
		}
		if found.Name != tc.name || !found.HttpOnly || found.SameSite != http.SameSiteLaxMode || found.Secure != tc.secure || found.Path != "/" || found.Domain != "" {
			t.Errorf("%s: cookie = %+v", tc.base, found)
		}
		if found.MaxAge != int((30 * 24 * time.Hour).Seconds()) {
			t.Errorf("%s: cookie Max-Age %d, want 30 days", tc.base, found.MaxAge)
		}
	}
}

func TestSignOutDeletesTheSessionServerSide(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		c := ta.client()
		wantStatus(t, signInByEmail(t, ta, c, "leaver@example.com", "/"), http.StatusSeeOther)
		id := c.cookies["cluetrain_session"]
		if n := dbtest.Count(t, db, "SELECT count(*) FROM sessions"); n != 1 {
			t.Fatalf("sessions = %d, want 1", n)
		}
		// Without the CSRF token: refused, and still signed in.
		wantStatus(t, c.postRaw("/logout", url.Values{}), http.StatusForbidden)
		if !signedIn(t, c) {
			t.Fatal("a refused sign-out signed out")
		}
		resp := c.post("/logout", nil)
		wantStatus(t, resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != "/" {
			t.Errorf("sign-out went to %q", loc)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM sessions"); n != 0 {
			t.Errorf("sessions = %d after sign-out, want 0", n)
		}
		if _, ok := c.cookies["cluetrain_session"]; ok {
			t.Error("the session cookie was not cleared")
		}
		// A copy of the old cookie is worth nothing.
		replay := ta.client()
		replay.cookies["cluetrain_session"] = id
		if signedIn(t, replay) {
			t.Error("the old session id still signs in")
		}
	})
}

func TestSessionsExpireWhenIdle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		c := ta.client()
		wantStatus(t, signInByEmail(t, ta, c, "idle@example.com", "/"), http.StatusSeeOther)

		// Use within 30 days slides the expiry forward.
		ta.clock.Advance(29 * 24 * time.Hour)
		if !signedIn(t, c) {
			t.Fatal("signed out after 29 idle days")
		}
		ta.clock.Advance(29 * 24 * time.Hour)
		if !signedIn(t, c) {
			t.Fatal("signed out 29 days after the last use")
		}
		// Thirty idle days end it, and the purge removes the row.
		ta.clock.Advance(30*24*time.Hour + time.Minute)
		if signedIn(t, c) {
			t.Fatal("still signed in after 30 idle days")
		}
		n, err := models.PurgeExpired(t.Context(), db)
		if err != nil {
			t.Fatal(err)
		}
		if n < 2 { // the session and the used sign-in link
			t.Errorf("purged %d rows, want at least 2", n)
		}
		if left := dbtest.Count(t, db, "SELECT count(*) FROM sessions"); left != 0 {
			t.Errorf("sessions left = %d", left)
		}
		if left := dbtest.Count(t, db, "SELECT count(*) FROM login_tokens"); left != 0 {
			t.Errorf("sign-in links left = %d", left)
		}
	})
}

func TestNextStaysOnThisSite(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/roadmap", "/roadmap"},
		{"/ideas/7?sort=top#comments", "/ideas/7?sort=top#comments"},
		{"", "/"},
		{"//evil.example", "/"},
		{"/\\evil.example", "/"},
		{"\\\\evil.example", "/"},
		{"https:evil.example", "/"},
		{"https://evil.example/", "/"},
		{"%2F%2Fevil.example", "/"},
		{"/%2F/evil.example", "/"},
		{"/%5Cevil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"JavaScript:alert(1)", "/"},
		{"/\t/evil.example", "/"},
		{"/\n/evil.example", "/"},
		{" /roadmap", "/"},
		{"evil.example", "/"},
	} {
		if got := safeNext(tc.in); got != tc.want {
			t.Errorf("safeNext(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}

	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		for i, next := range []string{"//evil.example", "/\\evil.example", "https:evil.example", "%2F%2Fevil.example", "javascript:alert(1)"} {
			c := ta.client()
			resp := signInByEmail(t, ta, c, "next"+string(rune('a'+i))+"@example.com", next)
			wantStatus(t, resp, http.StatusSeeOther)
			if loc := resp.Header.Get("Location"); loc != "/" {
				t.Errorf("next %q landed on %q, want /", next, loc)
			}
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM login_tokens WHERE next_path <> '/'"); n != 0 {
			t.Errorf("%d links stored a foreign next", n)
		}
		// Through the OAuth dance the raw query value is checked too.
		b := wantStatus(t, ta.client().get("/login?next=%2F%2Fevil.example"), http.StatusOK)
		if !strings.Contains(b, `name="next" value="/"`) {
			t.Error("the login form carries a foreign next")
		}
	})
}

func TestRoleGates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestAppWith(t, db, map[string]string{"BASE_URL": "http://portal.test", "ADMIN_EMAILS": "Chief@Example.com"}, WithoutRateLimits())
		ok := func(c *fiber.Ctx) error { return c.SendString("ok") }
		ta.fiber.Post("/test/write", ta.requireWriter, ok)
		ta.fiber.Post("/test/staff", ta.requireStaff, ok)
		ta.fiber.Post("/test/admin", ta.requireAdmin, ok)

		first := ta.client()
		wantStatus(t, signInByEmail(t, ta, first, "first@example.com", "/"), http.StatusSeeOther)
		member := ta.client()
		wantStatus(t, signInByEmail(t, ta, member, "member@example.com", "/"), http.StatusSeeOther)
		chief := ta.client()
		wantStatus(t, signInByEmail(t, ta, chief, "chief@example.com", "/"), http.StatusSeeOther)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM users WHERE role = 'admin' AND email IN ('first@example.com', 'chief@example.com')"); n != 2 {
			t.Errorf("admins = %d, want first and chief", n)
		}

		for _, tc := range []struct {
			c                   *client
			write, staff, admin int
		}{
			{first, 200, 200, 200},
			{chief, 200, 200, 200},
			{member, 200, 403, 403},
			{ta.client(), 303, 303, 303},
		} {
			wantStatus(t, tc.c.post("/test/write", nil), tc.write)
			wantStatus(t, tc.c.post("/test/staff", nil), tc.staff)
			wantStatus(t, tc.c.post("/test/admin", nil), tc.admin)
		}

		// A blocked account still signs in and reads, but cannot write.
		if _, err := models.BlockUser(t.Context(), db, "member@example.com"); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, member.post("/test/write", nil), http.StatusForbidden)
		if !signedIn(t, member) {
			t.Error("a blocked account was signed out")
		}
		again := ta.client()
		wantStatus(t, signInByEmail(t, ta, again, "member@example.com", "/"), http.StatusSeeOther)
		wantStatus(t, again.post("/test/write", nil), http.StatusForbidden)
		if _, err := models.UnblockUser(t.Context(), db, "member@example.com"); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, member.post("/test/write", nil), http.StatusOK)
	})
}

func TestSignInRateLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestAppWith(t, db, map[string]string{"BASE_URL": "http://portal.test"},
			WithoutRateLimits(), WithRates(map[string]Rate{"signin-email": {Max: 2, Window: time.Minute}}))
		c := ta.client()
		for i := 0; i < 2; i++ {
			wantStatus(t, c.post("/login/email", url.Values{"email": {"target@example.com"}}), http.StatusOK)
		}
		resp := c.post("/login/email", url.Values{"email": {"Target@Example.com "}})
		wantStatus(t, resp, http.StatusTooManyRequests)
		if ra := resp.Header.Get("Retry-After"); ra == "" || ra == "0" {
			t.Errorf("Retry-After = %q", ra)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM login_tokens"); n != 2 {
			t.Errorf("links = %d, want 2", n)
		}
		// Another address is not held up.
		wantStatus(t, c.post("/login/email", url.Values{"email": {"other@example.com"}}), http.StatusOK)
	})

	db := dbtest.Open(t, "sqlite")
	for _, tc := range []struct {
		name    string
		env     map[string]string
		perPeer bool // whether X-Forwarded-For separates clients
	}{
		{"direct", map[string]string{"BASE_URL": "http://portal.test"}, false},
		{"behind a trusted proxy", map[string]string{"BASE_URL": "http://portal.test", "TRUSTED_PROXIES": "0.0.0.0"}, true},
	} {
		ta := newTestAppWith(t, db, tc.env, WithoutRateLimits(), WithRates(map[string]Rate{"signin-ip": {Max: 3, Window: time.Minute}}))
		c := ta.client()
		for i := 0; i < 3; i++ {
			wantStatus(t, c.get("/login/email/unknown-token", "X-Forwarded-For", "203.0.113.1"), http.StatusNotFound)
		}
		resp := c.get("/login/email/unknown-token", "X-Forwarded-For", "203.0.113.1")
		wantStatus(t, resp, http.StatusTooManyRequests)
		if resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s: no Retry-After", tc.name)
		}
		want := http.StatusTooManyRequests
		if tc.perPeer {
			want = http.StatusNotFound
		}
		wantStatus(t, c.get("/login/email/unknown-token", "X-Forwarded-For", "198.51.100.9"), want)
	}
}
