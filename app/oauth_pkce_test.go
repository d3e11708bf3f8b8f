package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/cluetrain/cluetrain/app/oauth"
	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// pkceGitHub is a GitHub-shaped provider that holds each code to the PKCE
// challenge it was issued for, as GitHub does.
func pkceGitHub(t *testing.T) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	challenges := map[string]string{} // code -> challenge
	mux := http.NewServeMux()
	mux.HandleFunc("/login/oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
			http.Error(w, "PKCE required", http.StatusBadRequest)
			return
		}
		mu.Lock()
		code := fmt.Sprintf("code-%d", len(challenges)+1)
		challenges[code] = q.Get("code_challenge")
		mu.Unlock()
		back, _ := url.Parse(q.Get("redirect_uri"))
		bq := back.Query()
		bq.Set("code", code)
		bq.Set("state", q.Get("state"))
		back.RawQuery = bq.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	})
	mux.HandleFunc("/login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		challenge, ok := challenges[r.Form.Get("code")]
		delete(challenges, r.Form.Get("code"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if !ok || oauth2.S256ChallengeFromVerifier(r.Form.Get("code_verifier")) != challenge {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		_, _ = w.Write([]byte(`{"access_token":"gh-token","token_type":"bearer"}`))
	})
	mux.HandleFunc("/user", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer gh-token" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"id": 7, "login": "victim", "name": "Victim"})
	})
	mux.HandleFunc("/user/emails", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode([]map[string]any{{"email": "victim@example.com", "primary": true, "verified": true}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// Every provider is sent a PKCE challenge, and a code is exchanged only with
// the verifier of the sign-in it was issued to: a code that leaks from one
// browser's callback signs nobody in when injected into another sign-in.
func TestEveryProviderUsesPKCE(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	ta := newTestAppWith(t, db, map[string]string{
		"BASE_URL":   "http://portal.test",
		"GOOGLE_KEY": "k", "GOOGLE_SECRET": "s",
		"GITLAB_KEY": "k", "GITLAB_SECRET": "s",
	}, WithoutRateLimits())
	for _, name := range []string{"google", "gitlab"} {
		q := beginOAuth(t, ta.client(), "/auth/"+name).Query()
		if len(q.Get("code_challenge")) != 43 || q.Get("code_challenge_method") != "S256" {
			t.Errorf("%s: authorize URL without PKCE: %v", name, q)
		}
	}

	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		srv := pkceGitHub(t)
		ta := newTestApp(t, db, func(a *App) {
			a.providers = append(a.providers, oauth.GitHub("gh-key", "gh-secret", "http://portal.test/auth/github/callback", oauth.GitHubEndpoints{
				Auth: srv.URL + "/login/oauth/authorize", Token: srv.URL + "/login/oauth/access_token",
				Profile: srv.URL + "/user", Email: srv.URL + "/user/emails",
			}))
		})

		// The victim's code, taken from their callback before they use it,
		// is injected into a sign-in the attacker started.
		victim := ta.client()
		stolen, _ := url.Parse(atProvider(t, beginOAuth(t, victim, "/auth/github")))
		attacker := ta.client()
		own, _ := url.Parse(atProvider(t, beginOAuth(t, attacker, "/auth/github")))
		q := own.Query()
		q.Set("code", stolen.Query().Get("code"))
		own.RawQuery = q.Encode()
		wantStatus(t, attacker.get(own.String()), http.StatusBadGateway)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM users"); n != 0 {
			t.Fatalf("users = %d after an injected code, want 0", n)
		}
		if strings.Contains(wantStatus(t, attacker.get("/"), http.StatusOK), `action="/logout"`) {
			t.Fatal("the injected code signed the attacker in")
		}

		// The ordinary round trip, with its verifier, signs in.
		c := ta.client()
		wantStatus(t, c.get(atProvider(t, beginOAuth(t, c, "/auth/github"))), http.StatusSeeOther)
		if !signedIn(t, c) {
			t.Fatal("the GitHub round trip with PKCE did not sign in")
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM identities WHERE provider = 'github' AND provider_user_id = '7'"); n != 1 {
			t.Errorf("identities = %d, want 1", n)
		}
	})
}
