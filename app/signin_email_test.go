package app

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

var linkRe = regexp.MustCompile(`http://portal\.test/login/email/[A-Za-z0-9_-]+`)

func TestEmailLinkOverSMTPSignsInOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		box := startSMTP(t)
		ta := newTestAppWith(t, db, map[string]string{
			"BASE_URL":  "http://portal.test",
			"SMTP_URL":  "smtp://" + box.addr,
			"MAIL_FROM": "Portal <portal@example.com>",
		}, WithoutRateLimits())
		c := ta.client()

		page := wantStatus(t, c.post("/login/email", url.Values{"email": {" New.Person@Example.com "}, "next": {"/roadmap"}}), http.StatusOK)
		if !strings.Contains(page, "Check your inbox") || !strings.Contains(page, "new.person@example.com") {
			t.Fatalf("reply is not the check-your-inbox page:\n%s", excerptOf(page))
		}
		msgs := box.messages()
		if len(msgs) != 1 {
			t.Fatalf("%d messages arrived, want 1", len(msgs))
		}
		if msgs[0].from != "portal@example.com" || len(msgs[0].to) != 1 || msgs[0].to[0] != "new.person@example.com" {
			t.Errorf("envelope from %q to %v", msgs[0].from, msgs[0].to)
		}
		subject, text := textOf(t, msgs[0].data)
		if subject != "Your sign-in link for portal.test" {
			t.Errorf("subject = %q", subject)
		}
		link := linkRe.FindString(text)
		if link == "" {
			t.Fatalf("no link in the message:\n%s", text)
		}
		token := strings.TrimPrefix(link, "http://portal.test/login/email/")
		if n := dbtest.Count(t, db, "SELECT count(*) FROM login_tokens WHERE token_hash = ?", token); n != 0 {
			t.Error("the token is stored in the clear")
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM login_tokens WHERE email = 'new.person@example.com' AND next_path = '/roadmap' AND used_at IS NULL"); n != 1 {
			t.Errorf("stored links = %d, want 1", n)
		}

		path := strings.TrimPrefix(link, "http://portal.test")
		resp := c.get(path)
		wantStatus(t, resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != "/roadmap" {
			t.Errorf("went to %q, want /roadmap", loc)
		}
		u, err := models.UserByEmail(t.Context(), db, "new.person@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if !u.EmailVerified || u.Role != models.RoleAdmin || u.Name != "new.person" {
			t.Errorf("user = %+v, want a verified admin named new.person", u)
		}
		if !strings.Contains(wantStatus(t, c.get("/"), http.StatusOK), `action="/logout"`) {
			t.Error("not signed in after following the link")
		}

		// The second use, from another browser, explains itself.
		other := ta.client()
		b := wantStatus(t, other.get(path), http.StatusGone)
		if !strings.Contains(b, "already been used") || !strings.Contains(b, "Send me a new link") {
			t.Errorf("used-link page:\n%s", excerptOf(b))
		}
		if _, ok := other.cookies["cluetrain_session"]; ok {
			t.Error("a used link started a session")
		}

		// An expired link does not sign in either.
		wantStatus(t, c.post("/login/email", url.Values{"email": {"late@example.com"}}), http.StatusOK)
		msgs = box.messages()
		if len(msgs) != 2 {
			t.Fatalf("%d messages, want 2", len(msgs))
		}
		_, text = textOf(t, msgs[1].data)
		late := strings.TrimPrefix(linkRe.FindString(text), "http://portal.test")
		ta.clock.Advance(models.LoginLinkLifetime + time.Second)
		b = wantStatus(t, ta.client().get(late), http.StatusGone)
		if !strings.Contains(b, "expired") {
			t.Errorf("expired-link page:\n%s", excerptOf(b))
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM users WHERE email = 'late@example.com'"); n != 0 {
			t.Error("an expired link made an account")
		}
		wantStatus(t, ta.client().get("/login/email/not-a-real-token"), http.StatusNotFound)
	})
}

func TestEmailLinkReplyIsTheSameForKnownAndUnknownAddresses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		dbtest.User(t, db, "Known", "known@example.com", models.RoleMember)
		c := ta.client()
		known := wantStatus(t, c.post("/login/email", url.Values{"email": {"known@example.com"}}), http.StatusOK)
		unknown := wantStatus(t, c.post("/login/email", url.Values{"email": {"stranger@example.com"}}), http.StatusOK)
		strip := func(s string) string {
			s = strings.ReplaceAll(s, "known@example.com", "ADDRESS")
			return strings.ReplaceAll(s, "stranger@example.com", "ADDRESS")
		}
		if strip(known) != strip(unknown) {
			t.Error("the reply differs between a known and an unknown address")
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM login_tokens"); n != 2 {
			t.Errorf("links = %d, want 2", n)
		}
	})
}

func TestEmailLinkWithoutSMTPGoesToTheLog(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		c := ta.client()
		wantStatus(t, c.post("/login/email", url.Values{"email": {"first@example.com"}}), http.StatusOK)
		logs := ta.logs.String()
		link := linkRe.FindString(logs)
		if link == "" || !strings.Contains(logs, "level=INFO msg=\"SMTP_URL is not set") {
			t.Fatalf("the log lacks the info line with the link:\n%s", logs)
		}
		wantStatus(t, c.get(strings.TrimPrefix(link, "http://portal.test")), http.StatusSeeOther)
		u, err := models.UserByEmail(t.Context(), db, "first@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if u.Role != models.RoleAdmin {
			t.Errorf("the first account is %s, want admin", u.Role)
		}
		// The second account on the portal is a member.
		c2 := ta.client()
		wantStatus(t, c2.post("/login/email", url.Values{"email": {"second@example.com"}}), http.StatusOK)
		links := linkRe.FindAllString(ta.logs.String(), -1)
		wantStatus(t, c2.get(strings.TrimPrefix(links[len(links)-1], "http://portal.test")), http.StatusSeeOther)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM users WHERE email = 'second@example.com' AND role = 'member'"); n != 1 {
			t.Error("the second account is not a member")
		}
	})
}

func TestEmailFormValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		c := ta.client()
		for _, bad := range []string{"", "not-an-address", "a@b", "Name <a@example.com>"} {
			b := wantStatus(t, c.post("/login/email", url.Values{"email": {bad}, "next": {"/roadmap"}}), http.StatusUnprocessableEntity)
			if !strings.Contains(b, `class="field-error" id="email-error"`) || !strings.Contains(b, `aria-invalid="true"`) {
				t.Errorf("%q: no message next to the field", bad)
			}
			if bad != "" && !strings.Contains(b, `value="`+strings.ReplaceAll(strings.ReplaceAll(bad, "<", "&lt;"), ">", "&gt;")+`"`) {
				t.Errorf("%q: input not kept", bad)
			}
			if !strings.Contains(b, `name="next" value="/roadmap"`) {
				t.Errorf("%q: next not kept", bad)
			}
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM login_tokens"); n != 0 {
			t.Errorf("links = %d after invalid posts", n)
		}
	})
}

func TestLoginPageShowsConfiguredProviders(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	page := wantStatus(t, newTestApp(t, db).client().get("/login"), http.StatusOK)
	if strings.Contains(page, `href="/auth/`) || !strings.Contains(page, `action="/login/email"`) || !strings.Contains(page, `name="_csrf"`) {
		t.Errorf("login page without providers:\n%s", excerptOf(page))
	}
	if !strings.Contains(page, `<label for="email">`) {
		t.Error("the email input has no label")
	}

	ta := newTestAppWith(t, db, map[string]string{
		"BASE_URL":   "http://portal.test",
		"GITHUB_KEY": "k", "GITHUB_SECRET": "s",
		"GOOGLE_KEY": "k", "GOOGLE_SECRET": "s",
		"GITLAB_KEY": "k", "GITLAB_SECRET": "s",
	}, WithoutRateLimits())
	c := ta.client()
	page = wantStatus(t, c.get("/login"), http.StatusOK)
	for _, want := range []string{`href="/auth/github"`, `href="/auth/google"`, `href="/auth/gitlab"`, "Continue with GitHub", "Continue with Google", "Continue with GitLab", `action="/login/email"`} {
		if !strings.Contains(page, want) {
			t.Errorf("login page lacks %q", want)
		}
	}
	if strings.Contains(page, `href="/auth/oidc"`) {
		t.Error("login page shows an unconfigured provider")
	}
	for name, host := range map[string]string{"github": "github.com", "google": "accounts.google.com", "gitlab": "gitlab.com"} {
		authURL := beginOAuth(t, c, "/auth/"+name)
		if authURL.Host != host || authURL.Query().Get("redirect_uri") != "http://portal.test/auth/"+name+"/callback" || authURL.Query().Get("state") == "" {
			t.Errorf("%s: authorize URL %s", name, authURL)
		}
	}
}
