package app

import (
	"context"
	"encoding/hex"
	"net/http"
	"net/url"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func TestCSRFRefusesSignInForms(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		c := ta.client()
		page := wantStatus(t, c.get("/login"), http.StatusOK)
		m := csrfInput.FindStringSubmatch(page)
		if m == nil {
			t.Fatal("the login form has no _csrf field")
		}
		for name, form := range map[string]url.Values{
			"missing": {"email": {"a@example.com"}},
			"wrong":   {"email": {"a@example.com"}, "_csrf": {"forged"}},
		} {
			wantStatus(t, c.postRaw("/login/email", form), http.StatusForbidden)
			if n := dbtest.Count(t, db, "SELECT count(*) FROM login_tokens"); n != 0 {
				t.Fatalf("%s token: a link was made", name)
			}
		}
		// Scripts may send the token in a header.
		resp := c.postRaw("/login/email", url.Values{"email": {"a@example.com"}}, "X-CSRF-Token", c.csrf())
		wantStatus(t, resp, http.StatusOK)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM login_tokens"); n != 1 {
			t.Errorf("links = %d, want 1", n)
		}
		// The token in the page is the one that works with its cookie.
		if m[1] != c.csrf() {
			t.Error("the page's token does not match the client's cookie")
		}
	})
}

// Instances without SECRET_KEY sign with the key stored in the database,
// so that behind a load balancer a form served by one instance is accepted
// by another, and a session begun on one is signed in on the other. A key
// made afresh by each process would pass every other test.
func TestSigningKeyIsStoredAndShared(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		first := newTestApp(t, db)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM settings WHERE key = 'secret_key' AND length(value) = 64"); n != 1 {
			t.Fatalf("%d stored 32-byte keys after the first instance started, want 1", n)
		}
		key, err := models.SecretKey(ctx, db) // reads the stored key
		if err != nil {
			t.Fatal(err)
		}

		// Signed in on the first instance, through an emailed link.
		c := first.client()
		wantStatus(t, signInByEmail(t, first, c, "ada@example.com", "/"), http.StatusSeeOther)
		m := csrfInput.FindStringSubmatch(wantStatus(t, c.get("/"), http.StatusOK))
		if m == nil {
			t.Fatal("the home page has no _csrf field")
		}

		second := newTestApp(t, db)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM settings WHERE key = 'secret_key' AND value = ?", hex.EncodeToString(key)); n != 1 {
			t.Fatal("the second instance changed the stored key")
		}
		c2 := second.client()
		for name, value := range c.cookies {
			c2.cookies[name] = value
		}
		if !signedIn(t, c2) {
			t.Fatal("the session begun on the first instance is not signed in on the second")
		}
		wantStatus(t, c2.postRaw("/logout", url.Values{"_csrf": {"forged"}}), http.StatusForbidden)
		// The first instance's token signs the second one out.
		wantStatus(t, c2.postRaw("/logout", url.Values{"_csrf": {m[1]}}), http.StatusSeeOther)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM sessions"); n != 0 {
			t.Errorf("%d sessions after signing out on the second instance", n)
		}
	})
}
