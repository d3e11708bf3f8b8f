package app

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// requestLink asks for a sign-in link in the client's browser and returns
// its path, read from the log (as without SMTP_URL).
func requestLink(t *testing.T, ta *testApp, c *client, email, next string) string {
	t.Helper()
	wantStatus(t, c.post("/login/email", url.Values{"email": {email}, "next": {next}}), http.StatusOK)
	links := linkRe.FindAllString(ta.logs.String(), -1)
	if len(links) == 0 {
		t.Fatal("no sign-in link in the log")
	}
	return strings.TrimPrefix(links[len(links)-1], "http://portal.test")
}

// head sends a HEAD request, as mail scanners do.
func (c *client) head(path string) *http.Response {
	return c.do(httptest.NewRequest(http.MethodHead, path, nil))
}

// An attacker mails a victim a link to the attacker's own account. Opened in
// the victim's browser it signs nobody in until the victim confirms, and the
// page says whose account it is.
func TestLoginLinkOpenedElsewhereAsksToConfirm(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		asker := ta.client()
		link := requestLink(t, ta, asker, "attacker@example.com", "/roadmap")
		unused := func() bool {
			return dbtest.Count(t, db, "SELECT count(*) FROM login_tokens WHERE used_at IS NULL") == 1
		}

		victim := ta.client()
		page := wantStatus(t, victim.get(link), http.StatusOK)
		for _, want := range []string{"Sign in as attacker@example.com?", `action="` + link + `" method="post"`, `name="_csrf"`} {
			if !strings.Contains(page, want) {
				t.Errorf("confirm page lacks %q:\n%s", want, excerptOf(page))
			}
		}
		if n := strings.Count(page, strings.TrimPrefix(link, "/login/email/")); n != 1 {
			t.Errorf("the token appears %d times on the confirm page, want once (the form)", n)
		}
		if _, ok := victim.cookies["cluetrain_session"]; ok || !unused() {
			t.Fatal("opening the link elsewhere signed in or spent it")
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM users"); n != 0 {
			t.Fatalf("users = %d before confirming, want 0", n)
		}
		// The confirming post needs its token.
		wantStatus(t, victim.postRaw(link, url.Values{}), http.StatusForbidden)
		if !unused() {
			t.Fatal("a post without a token spent the link")
		}
		m := csrfInput.FindStringSubmatch(page)
		resp := victim.postRaw(link, url.Values{"_csrf": {m[1]}})
		wantStatus(t, resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != "/roadmap" {
			t.Errorf("confirmed sign-in went to %q, want /roadmap", loc)
		}
		if !signedIn(t, victim) || unused() {
			t.Fatal("confirming did not sign in with the link")
		}
		// Spent: neither the asking browser nor another confirmation
		// signs in again.
		wantStatus(t, asker.get(link), http.StatusGone)
		again := ta.client()
		wantStatus(t, again.post(link, nil), http.StatusGone)
		if _, ok := again.cookies["cluetrain_session"]; ok {
			t.Error("a spent link started a session")
		}
	})
}

// Mail scanners fetch links with HEAD before the person clicks: that spends
// nothing, in the asking browser or elsewhere.
func TestLoginLinkHeadSpendsNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		c := ta.client()
		link := requestLink(t, ta, c, "scanned@example.com", "/")
		for _, who := range []*client{ta.client(), c} {
			resp := who.head(link)
			wantStatus(t, resp, http.StatusOK)
			if _, ok := who.cookies["cluetrain_session"]; ok {
				t.Fatal("a HEAD started a session")
			}
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM login_tokens WHERE used_at IS NULL"); n != 1 {
			t.Fatal("a HEAD spent the link")
		}
		wantStatus(t, c.get(link), http.StatusSeeOther)
		if !signedIn(t, c) {
			t.Error("the link did not sign in after the scanner's HEAD")
		}
	})
}

// Asking for a new link retires the older ones of that address, and only
// that address.
func TestNewLoginLinkRetiresOlderOnes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		c := ta.client()
		first := requestLink(t, ta, c, "twice@example.com", "/")
		other := requestLink(t, ta, c, "other@example.com", "/")
		second := requestLink(t, ta, c, "Twice@Example.com", "/")

		b := wantStatus(t, c.get(first), http.StatusGone)
		if !strings.Contains(b, "only the newest link") {
			t.Errorf("retired-link page:\n%s", excerptOf(b))
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM users"); n != 0 {
			t.Fatal("a retired link signed in")
		}
		wantStatus(t, c.get(second), http.StatusSeeOther)
		wantStatus(t, ta.client().get(other), http.StatusOK) // still good: asks to confirm
	})
}

// Tokens never reach the request log (or any other line): without SMTP_URL
// the one line that carries the link is the only place a token appears.
func TestLoginTokensStayOutOfLogs(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		c := ta.client()
		link := requestLink(t, ta, c, "quiet@example.com", "/")
		token := strings.TrimPrefix(link, "/login/email/")
		elsewhere := ta.client()
		page := wantStatus(t, elsewhere.get(link), http.StatusOK)
		wantStatus(t, elsewhere.head(link), http.StatusOK)
		wantStatus(t, elsewhere.postRaw(link, url.Values{}), http.StatusForbidden)
		wantStatus(t, elsewhere.postRaw(link, url.Values{"_csrf": {csrfInput.FindStringSubmatch(page)[1]}}), http.StatusSeeOther)
		wantStatus(t, c.get(link), http.StatusGone)
		wantStatus(t, c.get("/login/email/"+strings.Repeat("A", 43)), http.StatusNotFound)

		var carrying []string
		requests := 0
		for _, line := range strings.Split(ta.logs.String(), "\n") {
			if strings.Contains(line, token) {
				carrying = append(carrying, line)
			}
			if strings.Contains(line, "msg=request") && strings.Contains(line, "path=/login/email/:token") {
				requests++
			}
		}
		if len(carrying) != 1 || !strings.Contains(carrying[0], "level=INFO") || !strings.Contains(carrying[0], "SMTP_URL is not set") {
			t.Errorf("log lines holding the token:\n%s", strings.Join(carrying, "\n"))
		}
		if strings.Contains(ta.logs.String(), strings.Repeat("A", 43)) {
			t.Error("the log holds an unknown token")
		}
		if requests != 6 {
			t.Errorf("%d request lines for /login/email/:token, want 6:\n%s", requests, ta.logs.String())
		}
	})

	// With mail, no line holds a token at all.
	db := dbtest.Open(t, "sqlite")
	box := startSMTP(t)
	ta := newTestAppWith(t, db, map[string]string{
		"BASE_URL": "http://portal.test", "SMTP_URL": "smtp://" + box.addr, "MAIL_FROM": "portal@example.com",
	}, WithoutRateLimits())
	c := ta.client()
	wantStatus(t, c.post("/login/email", url.Values{"email": {"mailed@example.com"}}), http.StatusOK)
	msgs := box.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	_, text := textOf(t, msgs[0].data)
	link := strings.TrimPrefix(linkRe.FindString(text), "http://portal.test")
	wantStatus(t, c.get(link), http.StatusSeeOther)
	if token := strings.TrimPrefix(link, "/login/email/"); token == "" || strings.Contains(ta.logs.String(), token) {
		t.Errorf("the log holds the token %q:\n%s", token, ta.logs.String())
	}
}
