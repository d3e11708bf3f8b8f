package app

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// An OpenID Connect sign-in sends a fresh nonce, and an ID token that does
// not carry it (one issued for another sign-in) signs nobody in. The mock
// provider puts whatever nonce the authorize request named into the token.
func TestOIDCNonceIsSentAndChecked(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		m := startOIDC(t)
		ta := oidcApp(t, db, m, nil)

		c := ta.client()
		m.QueueUser(oidcPerson{sub: "sub-1", email: "eve@example.com", name: "Eve", verified: true})
		authURL := beginOAuth(t, c, "/auth/oidc")
		q := authURL.Query()
		sent := q.Get("nonce")
		if len(sent) < 43 {
			t.Fatalf("nonce = %q, want 256 random bits", sent)
		}
		if other := beginOAuth(t, ta.client(), "/auth/oidc").Query().Get("nonce"); other == sent {
			t.Error("two sign-ins share a nonce")
		}
		q.Set("nonce", "a-nonce-from-another-sign-in")
		authURL.RawQuery = q.Encode()
		b := wantStatus(t, c.get(atProvider(t, authURL)), http.StatusBadGateway)
		if !strings.Contains(b, "couldn&#39;t complete signing in with Acme SSO") {
			t.Errorf("failure page lacks its message:\n%s", excerptOf(b))
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM users"); n != 0 {
			t.Errorf("users = %d after a token with the wrong nonce, want 0", n)
		}
		if !strings.Contains(ta.logs.String(), "nonce does not match") {
			t.Error("the log does not say why the sign-in failed")
		}

		// The nonce the portal sent comes back and signs in.
		c = ta.client()
		m.QueueUser(oidcPerson{sub: "sub-1", email: "eve@example.com", name: "Eve", verified: true})
		wantStatus(t, c.get(atProvider(t, beginOAuth(t, c, "/auth/oidc"))), http.StatusSeeOther)
		if !signedIn(t, c) {
			t.Error("a sign-in with the right nonce failed")
		}
	})
}
