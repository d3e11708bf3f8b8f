package app

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// testApp is an App over a fresh database of one dialect.
type testApp struct {
	*App
	t     *testing.T
	db    *models.DB
	clock *dbtest.Clock
	logs  *bytes.Buffer
}

// newTestApp builds an App on db with BASE_URL http://portal.test, a fixed
// clock and rate limits lifted unless opts say otherwise.
func newTestApp(t *testing.T, db *models.DB, opts ...Option) *testApp {
	t.Helper()
	return newTestAppWith(t, db, map[string]string{"BASE_URL": "http://portal.test"}, append([]Option{WithoutRateLimits()}, opts...)...)
}

// newTestAppWith builds an App from the given environment.
func newTestAppWith(t *testing.T, db *models.DB, env map[string]string, opts ...Option) *testApp {
	t.Helper()
	cfg, err := LoadConfig(env)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	clock := dbtest.FixClock(db)
	logs := &bytes.Buffer{}
	// The data version is read on every request unless a test says
	// otherwise, so a fixture's write shows on the next page.
	opts = append([]Option{WithPageCache(defaultCacheBytes, 0)}, opts...)
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := New(context.Background(), cfg, db, log, opts...)
	if err != nil {
		t.Fatalf("new app: %v", err)
	}
	return &testApp{App: a, t: t, db: db, clock: clock, logs: logs}
}

// lockedWriter lets handlers log while a test reads the buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (lw *lockedWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.w.Write(p)
}

// client is a browser-like client of a testApp: it keeps cookies and adds
// the CSRF token to every form it posts.
type client struct {
	ta      *testApp
	cookies map[string]string
}

func (ta *testApp) client() *client {
	c := &client{ta: ta, cookies: map[string]string{}}
	// A CSRF cookie as a page would have issued it.
	c.cookies[ta.csrfCookieName()] = "test-csrf-cookie-value-0123456789abcdef"
	return c
}

// csrf is the token that goes with the client's cookies.
func (c *client) csrf() string {
	return c.ta.csrfFor(c.cookies[sessionCookieName(c.ta.cfg)], c.cookies[c.ta.csrfCookieName()])
}

// do sends a request through the app and records cookies it sets.
func (c *client) do(req *http.Request) *http.Response {
	c.ta.t.Helper()
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := c.ta.fiber.Test(req, -1)
	if err != nil {
		c.ta.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" || (!ck.Expires.IsZero() && ck.Expires.Before(time.Now())) {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	return resp
}

// get fetches a path.
func (c *client) get(path string, headers ...string) *http.Response {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

// post sends a form with the CSRF token added.
func (c *client) post(path string, form url.Values, headers ...string) *http.Response {
	if form == nil {
		form = url.Values{}
	}
	if !form.Has("_csrf") {
		form.Set("_csrf", c.csrf())
	}
	return c.postRaw(path, form, headers...)
}

// postRaw sends a form exactly as given.
func (c *client) postRaw(path string, form url.Values, headers ...string) *http.Response {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

// signInAs gives the client a real stored session for the user, exactly as
// a sign-in would leave it.
func (c *client) signInAs(u *models.User) {
	c.ta.t.Helper()
	c.cookies["cluetrain_session"] = storeSession(c.ta.t, c.ta.db, u)
}

// storeSession stores a session for the user, as a sign-in leaves it, and
// returns its id, the session cookie's value.
func storeSession(tb testing.TB, db *models.DB, u *models.User) string {
	tb.Helper()
	data := map[string]interface{}{sessUserID: u.ID, sessSeen: db.Now().Unix()}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&data); err != nil {
		tb.Fatal(err)
	}
	id := fmt.Sprintf("test-session-%d-%d", u.ID, time.Now().UnixNano())
	if err := models.NewSessionStorage(db).Set(id, buf.Bytes(), sessionIdle); err != nil {
		tb.Fatal(err)
	}
	return id
}

// waitUntil polls cond until it holds, and fails the test if it does not
// within the timeout.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// body reads and closes a response body.
func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return string(b)
}

// wantStatus fails the test unless the response has the status.
func wantStatus(t *testing.T, resp *http.Response, want int) string {
	t.Helper()
	b := body(t, resp)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d\n%s", resp.Request.Method, resp.Request.URL, resp.StatusCode, want, excerptOf(b))
	}
	return b
}

func excerptOf(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// gatedAction is one request to a route that only some people may use.
type gatedAction struct {
	method, path string
	form         url.Values
}

// checkRefused tries every action as each user (nil is a signed-out
// visitor) and checks that each is refused: a visitor is sent to sign in
// (303 to /login?next=..., 401 for JSON), anyone else gets 403, and a refused
// page shows none of the leak texts. Then it tries every POST as allowed
// without a CSRF token, which is 403 too. The caller checks the database.
func checkRefused(t *testing.T, ta *testApp, actions []gatedAction, users []*models.User, allowed *models.User, leak ...string) {
	t.Helper()
	for _, who := range users {
		name := "visitor"
		if who != nil {
			name = who.Name
		}
		for _, act := range actions {
			c := ta.client()
			if who != nil {
				c.signInAs(who)
			}
			var resp *http.Response
			if act.method == http.MethodGet {
				resp = c.get(act.path)
			} else {
				resp = c.post(act.path, act.form)
			}
			want := http.StatusForbidden
			if who == nil {
				want = http.StatusSeeOther
			}
			page := body(t, resp)
			if resp.StatusCode != want {
				t.Errorf("%s: %s %s answered %d, want %d", name, act.method, act.path, resp.StatusCode, want)
				continue
			}
			loc := resp.Header.Get("Location")
			if who == nil && !strings.HasPrefix(loc, "/login?next=") {
				t.Errorf("visitor: %s %s redirects to %q", act.method, act.path, loc)
			}
			if who == nil && act.method == http.MethodGet && loc != "/login?next="+url.QueryEscape(act.path) {
				t.Errorf("visitor: GET %s redirects to %q", act.path, loc)
			}
			for _, l := range leak {
				if who != nil && strings.Contains(page, l) {
					t.Errorf("%s: %s %s shows %q", name, act.method, act.path, l)
				}
			}
			if who == nil && act.method == http.MethodPost {
				wantStatus(t, c.post(act.path, act.form, "Accept", "application/json"), http.StatusUnauthorized)
			}
		}
	}
	c := ta.client()
	c.signInAs(allowed)
	for _, act := range actions {
		if act.method == http.MethodPost {
			form := url.Values{}
			for k, v := range act.form {
				if k != "_csrf" {
					form[k] = v
				}
			}
			wantStatus(t, c.postRaw(act.path, form), http.StatusForbidden)
		}
	}
}
