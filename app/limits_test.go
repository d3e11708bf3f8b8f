package app

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func TestAbuseLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db, WithRates(map[string]Rate{
			"vote-user":    {Max: 3, Window: time.Minute},
			"idea-user":    {Max: 2, Window: time.Hour},
			"comment-user": {Max: 2, Window: time.Minute},
		}))
		ada := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleMember)
		c := ta.client()
		c.signInAs(ada)
		postIdea(t, c, "First idea", "")
		postIdea(t, c, "Second idea", "")
		resp := c.post("/ideas", url.Values{"title": {"Third idea"}})
		wantStatus(t, resp, http.StatusTooManyRequests)
		if resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		// Vote and unvote share one limit.
		voteJSON(t, c, "/ideas/1/vote", http.StatusOK)
		voteJSON(t, c, "/ideas/1/unvote", http.StatusOK)
		voteJSON(t, c, "/ideas/1/vote", http.StatusOK)
		resp = c.post("/ideas/1/unvote", nil, "Accept", "application/json")
		wantStatus(t, resp, http.StatusTooManyRequests)
		if resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		wantStatus(t, c.post("/ideas/1/comments", url.Values{"body": {"one"}}), http.StatusSeeOther)
		wantStatus(t, c.post("/ideas/1/comments", url.Values{"body": {"two"}}), http.StatusSeeOther)
		wantStatus(t, c.post("/ideas/1/comments", url.Values{"body": {"three"}}), http.StatusTooManyRequests)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM ideas"); n != 2 {
			t.Errorf("%d ideas", n)
		}
		if n := dbtest.Count(t, db, "SELECT votes_count FROM ideas WHERE id = 1"); n != 1 {
			t.Errorf("votes_count %d", n)
		}

	})
}
