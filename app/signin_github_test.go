package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/app/oauth"
	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// fakeGitHub serves the four GitHub endpoints goth's provider uses.
func fakeGitHub(t *testing.T, profile map[string]any, emails []map[string]any) *httptest.Server {
	t.Helper()
	codes := map[string]bool{}
	mux := http.NewServeMux()
	mux.HandleFunc("/login/oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
		back, err := url.Parse(r.URL.Query().Get("redirect_uri"))
		if err != nil {
			t.Errorf("redirect_uri: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		code := fmt.Sprintf("code-%d", len(codes)+1)
		codes[code] = true
		q := back.Query()
		q.Set("code", code)
		q.Set("state", r.URL.Query().Get("state"))
		back.RawQuery = q.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	})
	mux.HandleFunc("/login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("token request: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if !codes[r.Form.Get("code")] {
			writeJSON(t, w, map[string]string{"error": "bad_verification_code"})
			return
		}
		delete(codes, r.Form.Get("code"))
		writeJSON(t, w, map[string]string{"access_token": "gh-token", "token_type": "bearer", "scope": "read:user,user:email"})
	})
	auth := func(next http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer gh-token" {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			next(w, r)
		}
	}
	mux.HandleFunc("/user", auth(func(w http.ResponseWriter, _ *http.Request) { writeJSON(t, w, profile) }))
	mux.HandleFunc("/user/emails", auth(func(w http.ResponseWriter, _ *http.Request) { writeJSON(t, w, emails) }))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// writeJSON answers with v as JSON; a failure to write fails the test.
func writeJSON(t *testing.T, w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		t.Errorf("write a JSON answer: %v", err)
	}
}

func withGitHubAt(srv *httptest.Server) Option {
	return func(a *App) {
		a.providers = append(a.providers, oauth.GitHub("gh-key", "gh-secret", "http://portal.test/auth/github/callback", oauth.GitHubEndpoints{
			Auth:    srv.URL + "/login/oauth/authorize",
			Token:   srv.URL + "/login/oauth/access_token",
			Profile: srv.URL + "/user",
			Email:   srv.URL + "/user/emails",
		}))
	}
}

func TestGitHubRoundTripJoinsVerifiedAccount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		srv := fakeGitHub(t,
			map[string]any{"id": 583231, "login": "octocat", "name": "The Octocat", "email": nil, "avatar_url": "https://avatars.githubusercontent.com/u/583231"},
			[]map[string]any{
				{"email": "old@example.com", "primary": false, "verified": true},
				{"email": "octo@example.com", "primary": true, "verified": true},
			})
		ta := newTestApp(t, db, withGitHubAt(srv))
		existing := dbtest.User(t, db, "Octo", "octo@example.com", models.RoleStaff)
		c := ta.client()
		page := wantStatus(t, c.get("/login?next=/ideas/new"), http.StatusOK)
		if !strings.Contains(page, `href="/auth/github?next=%2fideas%2fnew"`) {
			t.Fatalf("login page lacks the GitHub button carrying next:\n%s", excerptOf(page))
		}
		authURL := beginOAuth(t, c, "/auth/github?next=/ideas/new")
		if !strings.HasPrefix(authURL.String(), srv.URL) || authURL.Query().Get("state") == "" {
			t.Fatalf("authorize URL = %s", authURL)
		}
		resp := c.get(atProvider(t, authURL))
		wantStatus(t, resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != "/ideas/new" {
			t.Errorf("went to %q, want /ideas/new", loc)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM users"); n != 1 {
			t.Errorf("users = %d, want 1", n)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM identities WHERE provider = 'github' AND provider_user_id = '583231' AND user_id = ?", existing.ID); n != 1 {
			t.Error("the GitHub identity did not join the account with the verified address")
		}
		u, err := models.UserByID(t.Context(), db, existing.ID)
		if err != nil {
			t.Fatal(err)
		}
		if u.Name != "The Octocat" || u.AvatarURL != "https://avatars.githubusercontent.com/u/583231" || u.Role != models.RoleStaff {
			t.Errorf("user = %+v", u)
		}
		if !strings.Contains(wantStatus(t, c.get("/"), http.StatusOK), "The Octocat") {
			t.Error("not signed in after the GitHub round trip")
		}
	})
}

func TestGitHubWithoutVerifiedAddressMakesNewAccount(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	srv := fakeGitHub(t,
		map[string]any{"id": 99, "login": "anon", "name": "", "email": nil, "avatar_url": "https://avatars.githubusercontent.com/u/99"},
		[]map[string]any{{"email": "taken@example.com", "primary": true, "verified": false}})
	ta := newTestApp(t, db, withGitHubAt(srv))
	dbtest.User(t, db, "Owner", "taken@example.com", models.RoleAdmin)
	c := ta.client()
	wantStatus(t, c.get(atProvider(t, beginOAuth(t, c, "/auth/github"))), http.StatusSeeOther)
	if n := dbtest.Count(t, db, "SELECT count(*) FROM users WHERE name = 'anon' AND email IS NULL AND role = 'member'"); n != 1 {
		t.Error("no separate member account named after the GitHub login")
	}
	if n := dbtest.Count(t, db, "SELECT count(*) FROM identities i JOIN users u ON u.id = i.user_id WHERE u.email = 'taken@example.com'"); n != 0 {
		t.Error("an unverified address joined an existing account")
	}
}
