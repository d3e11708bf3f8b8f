package app

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// Admins make and revoke keys and webhooks at /admin/api; a new key and a
// new secret are shown once; bad input is shown again with 422.
func TestAdminAPIPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		people := dbtest.People(t, db)
		checkRefused(t, ta, []gatedAction{
			{method: http.MethodGet, path: "/admin/api"},
			{method: http.MethodPost, path: "/admin/api/keys", form: url.Values{"name": {"Sneaky"}, "scope": {"write"}}},
			{method: http.MethodPost, path: "/admin/api/webhooks", form: url.Values{"url": {"https://203.0.113.1/"}, "events": {"idea.created"}}},
		}, []*models.User{nil, people.Ann, people.Staff}, people.Admin)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM api_keys") + dbtest.Count(t, db, "SELECT count(*) FROM webhooks"); n != 0 {
			t.Fatalf("refused requests stored %d things", n)
		}

		c := ta.client()
		c.signInAs(people.Admin)
		page := wantStatus(t, c.post("/admin/api/keys", url.Values{"name": {""}, "scope": {"read"}}), http.StatusUnprocessableEntity)
		if !strings.Contains(page, `id="key-name-error"`) || !strings.Contains(page, `value="read" checked`) {
			t.Errorf("422 without the error or the input kept")
		}
		page = wantStatus(t, c.post("/admin/api/keys", url.Values{"name": {"Zendesk"}, "scope": {"write"}}), http.StatusOK)
		token := regexp.MustCompile(`ctk_[A-Za-z0-9_-]+`).FindString(page)
		key, err := models.APIKeyByToken(t.Context(), db, token)
		if err != nil || key.Name != "Zendesk" {
			t.Fatalf("the page showed %q: %v", token, err)
		}
		if again := wantStatus(t, c.get("/admin/api"), http.StatusOK); strings.Contains(again, token) || !strings.Contains(again, key.Prefix) {
			t.Errorf("the key is shown again, or its prefix is not")
		}

		page = wantStatus(t, c.post("/admin/api/webhooks", url.Values{"url": {"http://hooks.test/in"}, "events": {"vote.created"}}), http.StatusUnprocessableEntity)
		if !strings.Contains(page, `id="hook-url-error"`) || !strings.Contains(page, `value="http://hooks.test/in"`) || !strings.Contains(page, `value="vote.created" checked`) {
			t.Errorf("webhook 422 without the error or the input kept")
		}
		page = wantStatus(t, c.post("/admin/api/webhooks", url.Values{"url": {"https://203.0.113.1/in"}, "events": {"vote.created", "idea.created"}}), http.StatusOK)
		hooks, _ := models.Webhooks(t.Context(), db)
		if len(hooks) != 1 || hooks[0].Events != "vote.created,idea.created" {
			t.Fatalf("stored webhooks: %+v", hooks)
		}
		if !strings.Contains(html.UnescapeString(page), hooks[0].Secret) {
			t.Errorf("the new secret is not shown")
		}
		if again := html.UnescapeString(wantStatus(t, c.get("/admin/api"), http.StatusOK)); strings.Contains(again, hooks[0].Secret) {
			t.Errorf("the secret is shown again")
		}

		resp := c.post("/admin/api/keys/"+strconv.FormatInt(key.ID, 10)+"/revoke", nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("revoke: %d", resp.StatusCode)
		}
		if _, err := models.APIKeyByToken(t.Context(), db, token); err == nil {
			t.Error("a revoked key still works")
		}
		wantStatus(t, c.post("/admin/api/keys/abc/revoke", nil), http.StatusNotFound)
		if resp := c.post("/admin/api/webhooks/"+strconv.FormatInt(hooks[0].ID, 10)+"/delete", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("delete: %d", resp.StatusCode)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM webhooks"); n != 0 {
			t.Errorf("%d webhooks after delete", n)
		}

		// Each of these is in the audit log, with who did it; a key made
		// on the command line names nobody, a webhook deleted through the
		// API names the key's account. Refused attempts left nothing.
		cli, cliToken, err := models.CreateAPIKey(t.Context(), db, "Nightly sync", models.ScopeWrite)
		if err != nil {
			t.Fatal(err)
		}
		hook, err := models.CreateWebhook(t.Context(), db, models.NewWebhook{URL: "https://203.0.113.2/in", Events: []string{"idea.created"}, Actor: people.Admin})
		if err != nil {
			t.Fatal(err)
		}
		s := serveAPI(t, ta)
		s.call("DELETE", fmt.Sprintf("/api/v1/webhooks/%d", hook.ID), cliToken, nil, http.StatusNoContent)
		entries, _, err := models.AuditLog(t.Context(), db, models.AuditQuery{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			who := "command line"
			if e.Actor != nil {
				who = e.Actor.Name
			}
			got = append(got, who+"|"+e.Kind+"|"+e.Target+"|"+e.Summary)
		}
		want := []string{
			fmt.Sprintf("API: Nightly sync|webhook.deleted|Webhook #%d to 203.0.113.2|Deleted", hook.ID),
			fmt.Sprintf("Ada Admin|webhook.created|Webhook #%d to 203.0.113.2|Created for idea.created", hook.ID),
			"command line|apikey.created|API key " + cli.Prefix + "…|Created \"Nightly sync\" (write)",
			fmt.Sprintf("Ada Admin|webhook.deleted|Webhook #%d to 203.0.113.1|Deleted", hooks[0].ID),
			"Ada Admin|apikey.revoked|API key " + key.Prefix + "…|Revoked \"Zendesk\"",
			fmt.Sprintf("Ada Admin|webhook.created|Webhook #%d to 203.0.113.1|Created for vote.created,idea.created", hooks[0].ID),
			"Ada Admin|apikey.created|API key " + key.Prefix + "…|Created \"Zendesk\" (write)",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if page := wantStatus(t, c.get("/admin/audit?kind=apikey.revoked"), http.StatusOK); !strings.Contains(page, "Revoked &#34;Zendesk&#34;") && !strings.Contains(page, "Revoked “Zendesk”") && !strings.Contains(page, `Revoked "Zendesk"`) {
			t.Errorf("/admin/audit does not list the revoked key:\n%s", excerptOf(page))
		}
	})
}
