package app

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

const ssoTestSecret = "company-shared-secret-0123456789"

func ssoTestApp(t *testing.T, db *models.DB, extra map[string]string) *testApp {
	env := map[string]string{"BASE_URL": "http://portal.test", "SSO_SECRET": ssoTestSecret}
	for k, v := range extra {
		env[k] = v
	}
	return newTestAppWith(t, db, env, WithoutRateLimits())
}

// ssoToken signs claims with the method and key, as the company's app would.
func ssoToken(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSSOSignIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := ssoTestApp(t, db, nil)
		now := db.Now()
		claims := func(extra jwt.MapClaims) jwt.MapClaims {
			m := jwt.MapClaims{
				"email": "Dana@Customer.example", "name": "Dana Scully", "sub": "crm-7", "company": "Bureau",
				"plan": "enterprise", "mrr": 1250.75, "avatar_url": "https://cdn.customer.example/dana.png",
				"exp": now.Add(10 * time.Minute).Unix(), "iat": now.Unix(),
			}
			for k, v := range extra {
				if v == nil {
					delete(m, k)
				} else {
					m[k] = v
				}
			}
			return m
		}
		good := ssoToken(t, jwt.SigningMethodHS256, []byte(ssoTestSecret), claims(nil))

		// A session planted before sign-in is not the one after it.
		c := ta.client()
		_ = body(t, c.get("/"))
		before := c.cookies[sessionCookieName(ta.cfg)]
		resp := c.get("/sso?" + url.Values{"token": {good}, "next": {"/roadmap?x=1"}}.Encode())
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/roadmap?x=1" {
			t.Fatalf("good token: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		after := c.cookies[sessionCookieName(ta.cfg)]
		if after == "" || after == before {
			t.Errorf("the session was not started afresh: %q then %q", before, after)
		}
		if !signedIn(t, c) {
			t.Fatal("not signed in after a good token")
		}
		u, err := models.UserByEmail(t.Context(), db, "dana@customer.example")
		if err != nil {
			t.Fatal(err)
		}
		if !u.EmailVerified || u.Name != "Dana Scully" || u.ExternalID == nil || *u.ExternalID != "crm-7" ||
			u.Company != "Bureau" || u.Plan != "enterprise" || u.MRRCents != 125075 || u.AvatarURL != "https://cdn.customer.example/dana.png" {
			t.Errorf("stored person: %+v", u)
		}

		// Again, with a new plan: the same person, updated.
		again := ssoToken(t, jwt.SigningMethodHS256, []byte(ssoTestSecret), claims(jwt.MapClaims{"plan": "starter", "name": nil}))
		wantStatus(t, ta.client().get("/sso?token="+again), http.StatusSeeOther)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM users WHERE external_id = 'crm-7' AND plan = 'starter' AND name = 'Dana Scully'"); n != 1 {
			t.Errorf("%d rows for the person after the second sign-in", n)
		}

		// A token with an id signs in once, on any instance; the same id
		// for someone else is their own.
		once := ssoToken(t, jwt.SigningMethodHS256, []byte(ssoTestSecret), claims(jwt.MapClaims{"jti": "login-81f3"}))
		wantStatus(t, ta.client().get("/sso?token="+once), http.StatusSeeOther)
		for _, other := range []*testApp{ta, ssoTestApp(t, db, nil)} {
			replay := other.client()
			page := wantStatus(t, replay.get("/sso?token="+once), http.StatusUnauthorized)
			if !strings.Contains(page, "used already") || signedIn(t, replay) {
				t.Fatalf("a replayed token: %s", excerptOf(page))
			}
		}
		theirs := ssoToken(t, jwt.SigningMethodHS256, []byte(ssoTestSecret), claims(jwt.MapClaims{"jti": "login-81f3", "email": "fox@customer.example", "sub": "crm-8"}))
		wantStatus(t, ta.client().get("/sso?token="+theirs), http.StatusSeeOther)

		// A next elsewhere goes home instead.
		for _, next := range []string{"//evil.example", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"} {
			resp := ta.client().get("/sso?" + url.Values{"token": {good}, "next": {next}}.Encode())
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
				t.Errorf("next %q: %d to %q", next, resp.StatusCode, resp.Header.Get("Location"))
			}
		}

		users := dbtest.Count(t, db, "SELECT count(*) FROM users")
		rsaKey := mustRSAKey(t)
		refused := map[string]string{
			"expired":         ssoToken(t, jwt.SigningMethodHS256, []byte(ssoTestSecret), claims(jwt.MapClaims{"email": "late@customer.example", "exp": now.Add(-time.Minute).Unix()})),
			"wrong secret":    ssoToken(t, jwt.SigningMethodHS256, []byte("not-the-secret"), claims(jwt.MapClaims{"email": "forger@customer.example"})),
			"alg none":        ssoToken(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(jwt.MapClaims{"email": "none@customer.example"})),
			"HS512":           ssoToken(t, jwt.SigningMethodHS512, []byte(ssoTestSecret), claims(jwt.MapClaims{"email": "hs512@customer.example"})),
			"RS256":           ssoToken(t, jwt.SigningMethodRS256, rsaKey, claims(jwt.MapClaims{"email": "rs@customer.example"})),
			"missing email":   ssoToken(t, jwt.SigningMethodHS256, []byte(ssoTestSecret), claims(jwt.MapClaims{"email": nil, "sub": "crm-9"})),
			"missing exp":     ssoToken(t, jwt.SigningMethodHS256, []byte(ssoTestSecret), claims(jwt.MapClaims{"email": "noexp@customer.example", "exp": nil})),
			"far exp":         ssoToken(t, jwt.SigningMethodHS256, []byte(ssoTestSecret), claims(jwt.MapClaims{"email": "far@customer.example", "exp": now.Add(2 * time.Hour).Unix()})),
			"not yet":         ssoToken(t, jwt.SigningMethodHS256, []byte(ssoTestSecret), claims(jwt.MapClaims{"email": "nbf@customer.example", "nbf": now.Add(10 * time.Minute).Unix()})),
			"bad email":       ssoToken(t, jwt.SigningMethodHS256, []byte(ssoTestSecret), claims(jwt.MapClaims{"email": "not an address", "sub": "crm-10"})),
			"http avatar":     ssoToken(t, jwt.SigningMethodHS256, []byte(ssoTestSecret), claims(jwt.MapClaims{"email": "av@customer.example", "sub": "crm-11", "avatar_url": "javascript:x"})),
			"garbage":         "not.a.token",
			"empty":           "",
			"tampered claims": good[:strings.Index(good, ".")] + ".eyJlbWFpbCI6Im1hbGxvcnlAZXZpbC5leGFtcGxlIn0." + good[strings.LastIndex(good, ".")+1:],
		}
		for name, token := range refused {
			c := ta.client()
			resp := c.get("/sso?" + url.Values{"token": {token}, "next": {"/roadmap"}}.Encode())
			page := wantStatus(t, resp, http.StatusUnauthorized)
			if !strings.Contains(page, "couldn&#39;t sign you in") && !strings.Contains(page, "couldn't sign you in") {
				t.Errorf("%s: no heading", name)
			}
			if !strings.Contains(page, "can&#39;t be used") && !strings.Contains(page, "can't be used") {
				t.Errorf("%s: the page does not say why:\n%s", name, excerptOf(page))
			}
			if resp.Header.Get("Location") != "" || c.cookies[sessionCookieName(ta.cfg)] != "" && signedIn(t, c) {
				t.Errorf("%s: signed in or redirected", name)
			}
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM users"); n != users {
			t.Errorf("refused tokens made %d accounts", n-users)
		}
	})
}

// Without SSO_SECRET there is no /sso; with SSO_LOGIN_URL, Sign in goes to
// the company's page with the address to come back to.
func TestSSOConfig(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		plain := newTestApp(t, db)
		wantStatus(t, plain.client().get("/sso?token=x"), http.StatusNotFound)
		wantStatus(t, plain.client().get("/login"), http.StatusOK)

		ta := ssoTestApp(t, db, map[string]string{"SSO_LOGIN_URL": "https://app.customer.example/portal-login?via=cluetrain"})
		resp := ta.client().get("/login?next=/ideas/5")
		want := "https://app.customer.example/portal-login?return_to=" + url.QueryEscape("http://portal.test/ideas/5") + "&via=cluetrain"
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("sign in: %d to %q, want %q", resp.StatusCode, resp.Header.Get("Location"), want)
		}
		resp = ta.client().get("/login?next=//evil.example")
		if loc := resp.Header.Get("Location"); !strings.Contains(loc, "return_to="+url.QueryEscape("http://portal.test/")+"&") {
			t.Errorf("a foreign next went into return_to: %q", loc)
		}
		wantStatus(t, ta.client().get("/login?local=1"), http.StatusOK)
	})
}

func mustRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
