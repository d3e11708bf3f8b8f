package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func voteJSON(t *testing.T, c *client, path string, wantCode int) map[string]any {
	t.Helper()
	b := wantStatus(t, c.post(path, nil, "Accept", "application/json"), wantCode)
	var out map[string]any
	if err := json.Unmarshal([]byte(b), &out); err != nil {
		t.Fatalf("%s: %v in %s", path, err, b)
	}
	return out
}

func TestVotingOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		ada := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleMember)
		bob := dbtest.User(t, db, "Bob", "bob@example.com", models.RoleMember)
		c := ta.client()
		c.signInAs(ada)
		loc := postIdea(t, c, "Vote for me", "")
		b := ta.client()
		b.signInAs(bob)

		for i := 0; i < 2; i++ {
			if got := voteJSON(t, b, "/ideas/1/vote", http.StatusOK); got["voted"] != true || got["votes"] != float64(1) {
				t.Errorf("vote %d = %v", i, got)
			}
		}
		if got := voteJSON(t, c, "/ideas/1/vote", http.StatusOK); got["votes"] != float64(2) {
			t.Errorf("second voter = %v", got)
		}
		if got := voteJSON(t, b, "/ideas/1/unvote", http.StatusOK); got["voted"] != false || got["votes"] != float64(1) {
			t.Errorf("unvote = %v", got)
		}
		if got := voteJSON(t, b, "/ideas/1/unvote", http.StatusOK); got["voted"] != false || got["votes"] != float64(1) {
			t.Errorf("second unvote = %v", got)
		}

		// Without JavaScript: back to the idea, or to a page of ours that referred.
		resp := b.post("/ideas/1/vote", nil)
		wantStatus(t, resp, http.StatusSeeOther)
		if got := resp.Header.Get("Location"); got != loc {
			t.Errorf("vote redirects to %q", got)
		}
		for ref, want := range map[string]string{
			"http://portal.test/?sort=top&q=x": "/?sort=top&q=x",
			"https://evil.example/":            loc,
			"//evil.example/x":                 loc,
			"not a url at all":                 loc,
		} {
			resp = b.post("/ideas/1/unvote", nil, "Referer", ref)
			wantStatus(t, resp, http.StatusSeeOther)
			if got := resp.Header.Get("Location"); got != want {
				t.Errorf("Referer %q: redirect to %q, want %q", ref, got, want)
			}
		}
		page := wantStatus(t, c.get(loc), http.StatusOK)
		if !strings.Contains(page, `action="/ideas/1/unvote"`) || !strings.Contains(page, `aria-pressed="true"`) {
			t.Error("voter's idea page does not offer to unvote")
		}

		// Refusals.
		anon := ta.client()
		voteJSON(t, anon, "/ideas/1/vote", http.StatusUnauthorized)
		resp = anon.post("/ideas/1/vote", nil)
		wantStatus(t, resp, http.StatusSeeOther)
		if !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
			t.Errorf("signed-out vote goes to %q", resp.Header.Get("Location"))
		}
		wantStatus(t, b.postRaw("/ideas/1/vote", url.Values{}), http.StatusForbidden)
		voteJSON(t, b, "/ideas/999/vote", http.StatusNotFound)
		voteJSON(t, b, "/ideas/abc/vote", http.StatusNotFound)
		blocked := dbtest.User(t, db, "Bo", "bo@example.com", models.RoleMember)
		if _, err := models.BlockUser(context.Background(), db, blocked.EmailAddress()); err != nil {
			t.Fatal(err)
		}
		bc := ta.client()
		bc.signInAs(blocked)
		voteJSON(t, bc, "/ideas/1/vote", http.StatusForbidden)
		wantStatus(t, bc.post("/ideas", url.Values{"title": {"Blocked idea"}}), http.StatusForbidden)
		wantStatus(t, bc.post("/ideas/1/comments", url.Values{"body": {"hi"}}), http.StatusForbidden)
		wantStatus(t, bc.get(loc), http.StatusOK)

		staff := dbtest.User(t, db, "Sam", "sam@example.com", models.RoleStaff)
		if _, err := models.ChangeStatus(context.Background(), db, 1, staff, "done", ""); err != nil {
			t.Fatal(err)
		}
		if got := voteJSON(t, b, "/ideas/1/vote", http.StatusConflict); !strings.Contains(fmt.Sprint(got["error"]), "no longer taking votes") {
			t.Errorf("closed idea: %v", got)
		}
		page = wantStatus(t, b.post("/ideas/1/vote", nil), http.StatusConflict)
		if !strings.Contains(page, "no longer taking votes") {
			t.Error("closed idea: HTML refusal lacks its message")
		}
		if n := dbtest.Count(t, db, "SELECT votes_count FROM ideas WHERE id = 1"); n != 1 {
			t.Errorf("votes_count = %d, want 1", n)
		}
	})
}
