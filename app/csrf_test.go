package app

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// An attacker who can plant cookies for the portal's host (a sibling
// subdomain, or a network attacker on plain http) plants a CSRF cookie whose
// token they know. Under a double-submit scheme that pair would pass; bound
// to the victim's session, it forges nothing.
func TestPlantedCSRFCookieForgesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		victim := dbtest.User(t, db, "Victim", "victim@example.com", models.RoleMember)
		attacker := dbtest.User(t, db, "Attacker", "attacker@example.com", models.RoleMember)
		idea, err := models.CreateIdea(t.Context(), db, models.NewIdea{Author: attacker, Board: "feature-requests", Title: "Vote for me"})
		if err != nil {
			t.Fatal(err)
		}
		page := ideaPath(idea.ID, idea.Slug)
		vote := fmt.Sprintf("/ideas/%d/vote", idea.ID)

		// The attacker's own browser, signed in: a token they can read.
		own := ta.client()
		own.signInAs(attacker)
		ownPage := wantStatus(t, own.get(page), http.StatusOK)
		ownToken := csrfInput.FindStringSubmatch(ownPage)

		c := ta.client()
		c.signInAs(victim)
		planted := "planted-by-the-attacker-0123456789abcdefghij"
		c.cookies[ta.csrfCookieName()] = planted
		plantedToken := ta.csrfFor("", planted) // what a signed-out page would carry
		for name, send := range map[string]func() *http.Response{
			"planted token in the form":   func() *http.Response { return c.postRaw(vote, url.Values{"_csrf": {plantedToken}}) },
			"planted token in the header": func() *http.Response { return c.postRaw(vote, nil, "X-CSRF-Token", plantedToken) },
			"the attacker's own token":    func() *http.Response { return c.postRaw(vote, url.Values{"_csrf": {ownToken[1]}}) },
		} {
			b := wantStatus(t, send(), http.StatusForbidden)
			if !strings.Contains(b, "did not come from this site") {
				t.Errorf("%s: refused for another reason:\n%s", name, excerptOf(b))
			}
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM votes"); n != 0 {
			t.Fatalf("votes = %d after forged posts, want 0", n)
		}
		// The victim's own page carries a token that works, planted cookie
		// or not.
		m := csrfInput.FindStringSubmatch(wantStatus(t, c.get(page), http.StatusOK))
		if m == nil || m[1] == plantedToken {
			t.Fatalf("the victim's page carries token %v", m)
		}
		wantStatus(t, c.postRaw(vote, url.Values{"_csrf": {m[1]}}), http.StatusSeeOther)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM votes WHERE user_id = ?", victim.ID); n != 1 {
			t.Errorf("votes = %d after the victim's own post, want 1", n)
		}
	})
}

// The token of a signed-out page dies at sign-in, with the session it was
// not bound to; the next page carries the signed-in one.
func TestCSRFTokenChangesAtSignIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		c := ta.client()
		before := csrfInput.FindStringSubmatch(wantStatus(t, c.get("/login"), http.StatusOK))
		if before == nil {
			t.Fatal("the login page has no token")
		}
		wantStatus(t, signInByEmail(t, ta, c, "someone@example.com", "/"), http.StatusSeeOther)
		wantStatus(t, c.postRaw("/logout", url.Values{"_csrf": {before[1]}}), http.StatusForbidden)
		if !signedIn(t, c) {
			t.Fatal("signed out with a token from before sign-in")
		}
		after := csrfInput.FindStringSubmatch(wantStatus(t, c.get("/"), http.StatusOK))
		if after == nil || after[1] == before[1] {
			t.Fatalf("token after sign-in = %v, before = %q", after, before[1])
		}
		wantStatus(t, c.postRaw("/logout", url.Values{"_csrf": {after[1]}}), http.StatusSeeOther)
		if signedIn(t, c) {
			t.Error("still signed in after signing out with the session's token")
		}
	})
}

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
