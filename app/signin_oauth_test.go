package app

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/cluetrain/cluetrain/app/oauth"
	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// oidcPerson is a mock OpenID Connect user that behaves like a real
// provider's: its userinfo carries sub, and its claims carry a name, a
// picture and whether the address is verified.
type oidcPerson struct {
	sub, email, name string
	verified         bool
	company, plan    string // customer claims, sent when not ""
	mrr              any
}

func (p oidcPerson) ID() string { return p.sub }

func (p oidcPerson) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]any{
		"sub": p.sub, "email": p.email, "email_verified": p.verified,
		"name": p.name, "picture": "https://avatars.example/" + p.sub + ".png",
	})
}

type oidcClaims struct {
	*mockoidc.IDTokenClaims
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name,omitempty"`
	Company       string `json:"company,omitempty"`
	Plan          string `json:"plan,omitempty"`
	MRR           any    `json:"mrr,omitempty"`
}

func (p oidcPerson) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return &oidcClaims{IDTokenClaims: base, Email: p.email, EmailVerified: p.verified, Name: p.name,
		Company: p.company, Plan: p.plan, MRR: p.mrr}, nil
}

// startOIDC runs a mock OpenID Connect provider on loopback.
func startOIDC(t *testing.T) *mockoidc.MockOIDC {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return m
}

func oidcApp(t *testing.T, db *models.DB, m *mockoidc.MockOIDC, extra map[string]string) *testApp {
	t.Helper()
	cfg := m.Config()
	env := map[string]string{
		"BASE_URL":           "http://portal.test",
		"OIDC_ISSUER":        cfg.Issuer,
		"OIDC_CLIENT_ID":     cfg.ClientID,
		"OIDC_CLIENT_SECRET": cfg.ClientSecret,
		"OIDC_NAME":          "Acme SSO",
	}
	for k, v := range extra {
		env[k] = v
	}
	return newTestAppWith(t, db, env, WithoutRateLimits())
}

// noRedirects is a browser for the provider's side that stops at each
// redirect so the test can carry it back into the portal.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// beginOAuth starts a sign-in and returns the provider URL it sends to.
func beginOAuth(t *testing.T, c *client, path string) *url.URL {
	t.Helper()
	resp := c.get(path)
	wantStatus(t, resp, http.StatusSeeOther)
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// atProvider follows the provider's authorize URL and returns the portal
// callback path (with query) it redirects back to.
func atProvider(t *testing.T, authURL *url.URL) string {
	t.Helper()
	resp, err := noRedirects.Get(authURL.String())
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("provider authorize: status %d", resp.StatusCode)
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if back.Host != "portal.test" {
		t.Fatalf("provider sent the browser to %s", back)
	}
	return back.RequestURI()
}

func TestOIDCRoundTripSignsIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		m := startOIDC(t)
		ta := oidcApp(t, db, m, nil)
		c := ta.client()

		page := wantStatus(t, c.get("/login"), http.StatusOK)
		if !strings.Contains(page, `href="/auth/oidc"`) || !strings.Contains(page, "Continue with Acme SSO") {
			t.Fatalf("login page lacks the OpenID Connect button:\n%s", excerptOf(page))
		}

		m.QueueUser(oidcPerson{sub: "sub-42", email: "Ada@Example.com", name: "Ada Lovelace", verified: true})
		authURL := beginOAuth(t, c, "/auth/oidc?next=/roadmap")
		q := authURL.Query()
		if got := q.Get("scope"); got != "openid profile email" {
			t.Errorf("scope = %q", got)
		}
		if q.Get("state") == "" || q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256" {
			t.Errorf("authorize URL lacks state or PKCE: %s", authURL)
		}
		if q.Get("redirect_uri") != "http://portal.test/auth/oidc/callback" {
			t.Errorf("redirect_uri = %q", q.Get("redirect_uri"))
		}
		before := c.cookies["cluetrain_session"]
		// A signed-out visitor's pending sign-in is kept briefly.
		if n := dbtest.Count(t, db, "SELECT count(*) FROM sessions WHERE expires_at < ?", ta.clock.T.Add(time.Hour)); n != 1 {
			t.Errorf("pending sessions expiring within the hour = %d, want 1", n)
		}
		callback := atProvider(t, authURL)

		resp := c.get(callback)
		wantStatus(t, resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != "/roadmap" {
			t.Errorf("after sign-in went to %q, want /roadmap", loc)
		}
		if after := c.cookies["cluetrain_session"]; after == "" || after == before {
			t.Errorf("session id did not change at sign-in (%q -> %q)", before, after)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM sessions WHERE expires_at > ?", ta.clock.T.Add(29*24*time.Hour)); n != 1 || dbtest.Count(t, db, "SELECT count(*) FROM sessions") != 1 {
			t.Error("sign-in did not replace the pending session with one full session")
		}
		u, err := models.UserByEmail(t.Context(), db, "ada@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if u.Name != "Ada Lovelace" || !u.EmailVerified || u.AvatarURL != "https://avatars.example/sub-42.png" || u.Role != models.RoleAdmin {
			t.Errorf("user = %+v", u)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM identities WHERE provider = 'oidc' AND provider_user_id = 'sub-42' AND user_id = ?", u.ID); n != 1 {
			t.Errorf("identities = %d, want 1", n)
		}
		home := wantStatus(t, c.get("/"), http.StatusOK)
		if !strings.Contains(home, `action="/logout"`) || !strings.Contains(home, "Ada Lovelace") {
			t.Error("home page does not show the signed-in user")
		}
		if !strings.Contains(ta.logs.String(), "first account is now its admin") {
			t.Error("the log does not say the first account became admin")
		}

		// The same callback again: the state is spent.
		wantStatus(t, c.get(callback), http.StatusBadRequest)
		// Signing in again with the same identity keeps one account.
		c2 := ta.client()
		m.QueueUser(oidcPerson{sub: "sub-42", email: "ada@example.com", name: "Ada King", verified: true})
		wantStatus(t, c2.get(atProvider(t, beginOAuth(t, c2, "/auth/oidc"))), http.StatusSeeOther)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM users"); n != 1 {
			t.Errorf("users = %d, want 1", n)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM users WHERE name = 'Ada King'"); n != 1 {
			t.Error("name did not follow the provider")
		}
	})
}

func TestOIDCRejectsTokensItCannotVerify(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	// The token endpoint's ID token is altered after signing (the address
	// changed): goth alone would accept it; the signature check must not.
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	var forged atomic.Int32
	if err := m.AddMiddleware(func(next http.Handler) http.Handler { return tamperIDToken(t, next, &forged) }); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	ta := oidcApp(t, db, m, nil)
	c := ta.client()
	m.QueueUser(oidcPerson{sub: "sub-7", email: "eve@example.com", name: "Eve", verified: true})
	b := wantStatus(t, c.get(atProvider(t, beginOAuth(t, c, "/auth/oidc"))), http.StatusBadGateway)
	if !strings.Contains(b, "couldn&#39;t complete signing in with Acme SSO") {
		t.Errorf("failure page lacks its message:\n%s", excerptOf(b))
	}
	if n := dbtest.Count(t, db, "SELECT count(*) FROM users"); n != 0 {
		t.Errorf("users = %d, want 0", n)
	}
	if n := dbtest.Count(t, db, "SELECT count(*) FROM sessions WHERE data LIKE '%uid%'"); n != 0 {
		t.Errorf("a session holds a user")
	}
	if n := forged.Load(); n != 1 {
		t.Errorf("%d ID tokens were forged, want 1: the refusal was for another reason", n)
	}
}

// tamperIDToken rewrites the email claim of ID tokens leaving the token
// endpoint, keeping the original signature. Token responses without an ID
// token (the client library's first try, with its credentials where the
// mock does not look) pass unchanged; forged counts the ones rewritten.
func tamperIDToken(t *testing.T, next http.Handler, forged *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != mockoidc.TokenEndpoint {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		out := rec.Body.Bytes()
		body, err := withForgedEmail(out)
		switch {
		case err != nil:
			t.Errorf("tamper with the token response: %v", err)
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		case body != nil:
			forged.Add(1)
			if out, err = json.Marshal(body); err != nil {
				t.Errorf("encode the tampered token response: %v", err)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		if _, err := w.Write(out); err != nil {
			t.Errorf("write the token response: %v", err)
		}
	})
}

// withForgedEmail is the token response with its ID token claiming another
// address, the signature unchanged; nil when the response has no ID token.
func withForgedEmail(raw []byte) (map[string]any, error) {
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, err
	}
	tok, ok := body["id_token"].(string)
	if !ok {
		return nil, nil
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("the ID token has %d parts, want 3", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, err
	}
	claims["email"] = "boss@example.com"
	if payload, err = json.Marshal(claims); err != nil {
		return nil, err
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	body["id_token"] = strings.Join(parts, ".")
	return body, nil
}

func TestOAuthStateIsChecked(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		m := startOIDC(t)
		ta := oidcApp(t, db, m, nil)

		callbackWith := func(c *client, mutate func(q url.Values)) *http.Response {
			authURL := beginOAuth(t, c, "/auth/oidc")
			back, err := url.Parse(atProvider(t, authURL))
			if err != nil {
				t.Fatal(err)
			}
			q := back.Query()
			mutate(q)
			back.RawQuery = q.Encode()
			return c.get(back.String())
		}
		cases := []struct {
			name   string
			mutate func(url.Values)
		}{
			{"wrong state", func(q url.Values) { q.Set("state", "forged-state-value") }},
			{"missing state", func(q url.Values) { q.Del("state") }},
		}
		for _, tc := range cases {
			b := wantStatus(t, callbackWith(ta.client(), tc.mutate), http.StatusBadRequest)
			if !strings.Contains(b, "could not be verified") {
				t.Errorf("%s: page lacks the explanation", tc.name)
			}
		}
		// A callback in a browser that never started a sign-in.
		wantStatus(t, ta.client().get("/auth/oidc/callback?code=x&state=y"), http.StatusBadRequest)
		// A state started for another provider does not finish this one.
		ta.providers = append(ta.providers, oauth.GitHub("k", "s", "http://portal.test/auth/github/callback", oauth.GitHubEndpoints{}))
		c := ta.client()
		authURL := beginOAuth(t, c, "/auth/oidc")
		wantStatus(t, c.get("/auth/github/callback?code=x&state="+url.QueryEscape(authURL.Query().Get("state"))), http.StatusBadRequest)

		if n := dbtest.Count(t, db, "SELECT count(*) FROM users"); n != 0 {
			t.Errorf("users = %d after refused callbacks, want 0", n)
		}
		// The user said no at the provider: a friendly page, not a 500.
		c = ta.client()
		authURL = beginOAuth(t, c, "/auth/oidc")
		b := wantStatus(t, c.get("/auth/oidc/callback?error=access_denied&state="+url.QueryEscape(authURL.Query().Get("state"))), http.StatusBadRequest)
		if !strings.Contains(b, "Signing in with Acme SSO was cancelled") || !strings.Contains(b, `action="/login/email"`) {
			t.Errorf("denied page:\n%s", excerptOf(b))
		}
		wantStatus(t, c.get("/auth/nope"), http.StatusNotFound)
	})
}

func TestProviderDownIsFriendly(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	m := startOIDC(t)
	ta := oidcApp(t, db, m, nil)
	c := ta.client()
	authURL := beginOAuth(t, c, "/auth/oidc")
	callback := atProvider(t, authURL)
	if err := m.Shutdown(); err != nil {
		t.Fatal(err)
	}
	b := wantStatus(t, c.get(callback), http.StatusBadGateway)
	if !strings.Contains(b, "try again in a moment") {
		t.Errorf("provider-down page:\n%s", excerptOf(b))
	}
}

func TestNewIdentityJoinsAccountOnlyWhenEmailVerified(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		m := startOIDC(t)
		ta := oidcApp(t, db, m, map[string]string{"ADMIN_EMAILS": "boss@example.com"})
		owner := dbtest.User(t, db, "Owner", "owner@example.com", models.RoleAdmin)
		boss := dbtest.User(t, db, "Boss", "boss@example.com", models.RoleMember)

		// Unverified: a new account, and the address stays with its owner.
		c := ta.client()
		m.QueueUser(oidcPerson{sub: "mallory", email: "owner@example.com", name: "Mallory", verified: false})
		wantStatus(t, c.get(atProvider(t, beginOAuth(t, c, "/auth/oidc"))), http.StatusSeeOther)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM users"); n != 3 {
			t.Fatalf("users = %d, want 3", n)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM identities WHERE user_id = ?", owner.ID); n != 0 {
			t.Error("an unverified address was linked to an existing account")
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM users WHERE name = 'Mallory' AND email IS NULL AND role = 'member'"); n != 1 {
			t.Error("the unverified sign-in did not become a separate member account without the address")
		}

		// Verified: joins the account that holds the address; an admin
		// address becomes admin.
		c = ta.client()
		m.QueueUser(oidcPerson{sub: "boss-sub", email: "BOSS@example.com", name: "The Boss", verified: true})
		wantStatus(t, c.get(atProvider(t, beginOAuth(t, c, "/auth/oidc"))), http.StatusSeeOther)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM users"); n != 3 {
			t.Errorf("users = %d, want 3", n)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM identities WHERE user_id = ? AND provider_user_id = 'boss-sub'", boss.ID); n != 1 {
			t.Error("a verified address did not join its account")
		}
		got, err := models.UserByID(t.Context(), db, boss.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Role != models.RoleAdmin || got.Name != "The Boss" {
			t.Errorf("boss = %+v, want admin named The Boss", got)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM users WHERE role = 'admin'"); n != 2 {
			t.Errorf("admins = %d, want 2 (the owner and the admin address)", n)
		}
	})
}
