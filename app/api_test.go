package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// The whole API walk, on both engines, with a real client against the real
// server; every answer is checked against the served OpenAPI document.
func TestAPIWalk(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		s := serveAPI(t, ta)
		people := dbtest.People(t, db)
		private := dbtest.Board(t, db, "internal", true)
		key := apiKey(t, db, "Support desk", models.ScopeWrite)
		readKey := apiKey(t, db, "Reporting", models.ScopeRead)

		// Who may call: a key is required, a read key only reads.
		r := s.call("GET", "/api/v1/ideas", "", nil, http.StatusUnauthorized)
		if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("401 without WWW-Authenticate: %v", r.Header)
		}
		s.call("GET", "/api/v1/ideas", "ctk_not-a-real-key", nil, http.StatusUnauthorized)
		s.call("GET", "/api/v1/boards", readKey, nil, http.StatusOK)
		s.call("POST", "/api/v1/ideas", readKey, map[string]any{"title": "Read keys cannot post", "board": "feature-requests"}, http.StatusForbidden)
		s.call("PUT", "/api/v1/users", readKey, map[string]any{"email": "x@example.com"}, http.StatusForbidden)
		s.call("GET", "/api/v1/no-such-thing", key, nil, http.StatusNotFound)

		// Boards and statuses by slug; keys see private boards, as staff do.
		boards := s.call("GET", "/api/v1/boards", key, nil, http.StatusOK).JSON(t)["boards"].([]any)
		if len(boards) != 2 || boards[0].(map[string]any)["slug"] == boards[1].(map[string]any)["slug"] {
			t.Errorf("boards: %v", boards)
		}
		statuses := s.call("GET", "/api/v1/statuses", key, nil, http.StatusOK).JSON(t)["statuses"].([]any)
		if len(statuses) != 7 || statuses[0].(map[string]any)["slug"] != "open" {
			t.Errorf("statuses: %v", statuses)
		}

		// A customer, upserted by email: created, then updated with the
		// fields left out kept.
		p := s.call("PUT", "/api/v1/users", key, map[string]any{
			"email": "Carol@Example.com", "name": "Carol", "external_id": "cust-42", "company": "Acme", "plan": "pro", "mrr": 99.5,
		}, http.StatusCreated).JSON(t)
		carolID := int64(p["id"].(float64))
		if p["email"] != "carol@example.com" || p["mrr"] != 99.5 || p["external_id"] != "cust-42" {
			t.Errorf("created person: %v", p)
		}
		p = s.call("PUT", "/api/v1/users", key, map[string]any{"email": "carol@example.com", "plan": "enterprise"}, http.StatusOK).JSON(t)
		if int64(p["id"].(float64)) != carolID || p["company"] != "Acme" || p["plan"] != "enterprise" || p["mrr"] != 99.5 || p["name"] != "Carol" {
			t.Errorf("updated person: %v", p)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM users WHERE external_id = 'cust-42' AND mrr_cents = 9950"); n != 1 {
			t.Errorf("%d rows for the customer", n)
		}
		bad := s.call("PUT", "/api/v1/users", key, map[string]any{"email": "not an address", "mrr": -1}, http.StatusUnprocessableEntity).JSON(t)
		if errs := bad["errors"].(map[string]any); errs["mrr"] == nil {
			t.Errorf("422 without the field: %v", bad)
		}
		bad = s.call("PUT", "/api/v1/users", key, map[string]any{"email": "not an address"}, http.StatusUnprocessableEntity).JSON(t)
		if errs := bad["errors"].(map[string]any); errs["email"] == nil {
			t.Errorf("422 without the field: %v", bad)
		}
		s.call("PUT", "/api/v1/users", key, "{not json", http.StatusBadRequest)

		// An idea on the customer's behalf.
		events := dbtest.Count(t, db, "SELECT count(*) FROM events")
		r = s.call("POST", "/api/v1/ideas", key, map[string]any{
			"title": "Export to spreadsheets", "body": "Every **month**", "board": "feature-requests", "author_id": carolID,
		}, http.StatusCreated)
		idea := r.JSON(t)
		ideaID := int64(idea["id"].(float64))
		if idea["author_id"].(float64) != float64(carolID) || idea["status"] != "open" || idea["board"] != "feature-requests" ||
			idea["url"] != fmt.Sprintf("http://portal.test/ideas/%d/export-to-spreadsheets", ideaID) || idea["body"] != "Every **month**" {
			t.Errorf("created idea: %v", idea)
		}
		if loc := r.Header.Get("Location"); loc != fmt.Sprintf("http://portal.test/api/v1/ideas/%d", ideaID) {
			t.Errorf("Location %q", loc)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events"); n != events+1 {
			t.Errorf("events went from %d to %d", events, n)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE kind = 'idea.created' AND actor_id = ?", carolID); n != 1 {
			t.Errorf("the event does not name the customer")
		}
		bad = s.call("POST", "/api/v1/ideas", key, map[string]any{"title": "", "board": "nope"}, http.StatusUnprocessableEntity).JSON(t)
		if errs := bad["errors"].(map[string]any); errs["title"] == nil || errs["board"] == nil {
			t.Errorf("422 without the fields: %v", bad)
		}
		// A customer cannot post on a board they cannot see.
		bad = s.call("POST", "/api/v1/ideas", key, map[string]any{"title": "Into the private board", "board": private.Slug, "author_id": carolID}, http.StatusUnprocessableEntity).JSON(t)
		if bad["errors"].(map[string]any)["board"] == nil {
			t.Errorf("posting on a private board for a customer: %v", bad)
		}
		s.call("POST", "/api/v1/ideas", key, map[string]any{"title": "Nobody's idea", "board": "feature-requests", "author_id": 987654}, http.StatusUnprocessableEntity)
		s.call("POST", "/api/v1/ideas", key, strings.Repeat("x", bodyLimit+10), http.StatusRequestEntityTooLarge)

		// Reading it back; malformed and unknown ids are 404.
		got := s.call("GET", fmt.Sprintf("/api/v1/ideas/%d", ideaID), key, nil, http.StatusOK).JSON(t)
		if got["title"] != "Export to spreadsheets" || got["votes"].(float64) != 0 {
			t.Errorf("idea: %v", got)
		}
		for _, bad := range []string{"abc", "-1", "0", "99999999", "1e3"} {
			s.call("GET", "/api/v1/ideas/"+bad, key, nil, http.StatusNotFound)
		}

		// Votes on behalf: idempotent both ways, and the page agrees.
		path := fmt.Sprintf("/api/v1/ideas/%d/votes/%d", ideaID, people.Ann.ID)
		for range 2 {
			if v := s.call("PUT", path, key, nil, http.StatusOK).JSON(t); v["voted"] != true || v["votes"].(float64) != 1 {
				t.Errorf("vote: %v", v)
			}
		}
		// A vote may say how much the idea matters; saying it again with
		// another importance changes it, never the count.
		carolVote := fmt.Sprintf("/api/v1/ideas/%d/votes/%d", ideaID, carolID)
		s.call("PUT", carolVote, key, map[string]any{"importance": "important"}, http.StatusOK)
		if v := s.call("PUT", carolVote, key, map[string]any{"importance": "critical"}, http.StatusOK).JSON(t); v["votes"].(float64) != 2 {
			t.Errorf("a new importance counted again: %v", v)
		}
		bad = s.call("PUT", carolVote, key, map[string]any{"importance": "urgent"}, http.StatusUnprocessableEntity).JSON(t)
		if errs, _ := bad["errors"].(map[string]any); errs["importance"] == nil {
			t.Errorf("an unknown importance: %v", bad)
		}
		s.call("PUT", carolVote, key, "{not json", http.StatusBadRequest)
		if n := dbtest.Count(t, db, "SELECT critical_count FROM ideas WHERE id = ?", ideaID); n != 1 {
			t.Errorf("critical count %d, want 1", n)
		}
		voters := s.call("GET", fmt.Sprintf("/api/v1/ideas/%d/votes?limit=1", ideaID), key, nil, http.StatusOK).JSON(t)
		list := voters["votes"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["user_id"].(float64) != float64(people.Ann.ID) || voters["next_cursor"] == nil {
			t.Fatalf("voters page 1: %v", voters)
		}
		voters = s.call("GET", fmt.Sprintf("/api/v1/ideas/%d/votes?limit=1&cursor=%s", ideaID, voters["next_cursor"]), key, nil, http.StatusOK).JSON(t)
		list = voters["votes"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["company"] != "Acme" || list[0].(map[string]any)["mrr"] != 99.5 ||
			list[0].(map[string]any)["importance"] != "critical" || voters["next_cursor"] != nil {
			t.Fatalf("voters page 2: %v", voters)
		}
		if v := s.call("DELETE", path, key, nil, http.StatusOK).JSON(t); v["voted"] != false || v["votes"].(float64) != 1 {
			t.Errorf("unvote: %v", v)
		}
		if v := s.call("DELETE", path, key, nil, http.StatusOK).JSON(t); v["voted"] != false || v["votes"].(float64) != 1 {
			t.Errorf("unvote again: %v", v)
		}
		page := wantStatus(t, ta.client().get(fmt.Sprintf("/ideas/%d/export-to-spreadsheets", ideaID)), http.StatusOK)
		if !strings.Contains(page, `<span class="vote-count">1</span>`) {
			t.Errorf("the idea page does not show the API's count")
		}
		s.call("PUT", fmt.Sprintf("/api/v1/ideas/%d/votes/abc", ideaID), key, nil, http.StatusNotFound)
		s.call("PUT", fmt.Sprintf("/api/v1/ideas/%d/votes/99999999", ideaID), key, nil, http.StatusNotFound)

		// A status with a public response; then the closed idea refuses votes.
		st := s.call("POST", fmt.Sprintf("/api/v1/ideas/%d/status", ideaID), key,
			map[string]any{"status": "declined", "response": "Not this year."}, http.StatusOK).JSON(t)
		if st["status"] != "declined" || st["response"] != "Not this year." {
			t.Errorf("status: %v", st)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE kind = 'idea.status_changed' AND idea_id = ?", ideaID); n != 1 {
			t.Errorf("%d status events", n)
		}
		bad = s.call("POST", fmt.Sprintf("/api/v1/ideas/%d/status", ideaID), key, map[string]any{"status": "nope"}, http.StatusUnprocessableEntity).JSON(t)
		if bad["errors"].(map[string]any)["status"] == nil {
			t.Errorf("bad status: %v", bad)
		}
		s.call("PUT", fmt.Sprintf("/api/v1/ideas/%d/votes/%d", ideaID, people.Bob.ID), key, nil, http.StatusConflict)

		// Comments on the customer's behalf.
		cm := s.call("POST", fmt.Sprintf("/api/v1/ideas/%d/comments", ideaID), key, map[string]any{"body": "Thanks!", "author_id": carolID}, http.StatusCreated).JSON(t)
		if cm["author_id"].(float64) != float64(carolID) || cm["is_staff"] != false || cm["body"] != "Thanks!" {
			t.Errorf("comment: %v", cm)
		}
		s.call("POST", fmt.Sprintf("/api/v1/ideas/%d/comments", ideaID), key, map[string]any{"body": ""}, http.StatusUnprocessableEntity)
		s.call("POST", "/api/v1/ideas/99999999/comments", key, map[string]any{"body": "Lost"}, http.StatusNotFound)

		// Private and hidden ideas: the API sees them as staff do, and a
		// customer cannot be made to vote or comment where they can't see.
		secret := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: people.Staff, Title: "Internal plan", Board: private})
		s.call("GET", fmt.Sprintf("/api/v1/ideas/%d", secret.ID), key, nil, http.StatusOK)
		s.call("PUT", fmt.Sprintf("/api/v1/ideas/%d/votes/%d", secret.ID, people.Ann.ID), key, nil, http.StatusForbidden)
		s.call("POST", fmt.Sprintf("/api/v1/ideas/%d/comments", secret.ID), key, map[string]any{"body": "Hm", "author_id": people.Ann.ID}, http.StatusUnprocessableEntity)
		all := s.call("GET", "/api/v1/ideas?limit=100", key, nil, http.StatusOK).JSON(t)["ideas"].([]any)
		if len(all) != 2 {
			t.Errorf("the list has %d ideas, want 2 (the private one included)", len(all))
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM votes WHERE idea_id = ?", secret.ID); n != 0 {
			t.Errorf("%d votes on the private idea", n)
		}
	})
}

// Lists page with opaque cursors through every idea exactly once, and bad
// query parameters are named.
func TestAPIIdeaPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		s := serveAPI(t, ta)
		people := dbtest.People(t, db)
		key := apiKey(t, db, "Pager", models.ScopeRead)
		other := dbtest.Board(t, db, "integrations", false)
		for i := range 25 {
			b := (*models.Board)(nil)
			if i%5 == 0 {
				b = other
			}
			dbtest.Idea(t, db, dbtest.IdeaSpec{Author: people.Ann, Title: fmt.Sprintf("Idea number %02d", i), Board: b})
			ta.clock.Advance(time.Minute)
		}
		for _, sort := range []string{"", "new", "top", "trending", "active", "discussed"} {
			seen := map[float64]bool{}
			cursor, pages := "", 0
			for {
				q := url.Values{"limit": {"10"}}
				if sort != "" {
					q.Set("sort", sort)
				}
				if cursor != "" {
					q.Set("cursor", cursor)
				}
				res := s.call("GET", "/api/v1/ideas?"+q.Encode(), key, nil, http.StatusOK).JSON(t)
				pages++
				for _, it := range res["ideas"].([]any) {
					id := it.(map[string]any)["id"].(float64)
					if seen[id] {
						t.Fatalf("sort %q: idea %v twice", sort, id)
					}
					seen[id] = true
				}
				next, _ := res["next_cursor"].(string)
				if next == "" {
					break
				}
				cursor = next
			}
			if len(seen) != 25 || pages != 3 {
				t.Errorf("sort %q: %d ideas in %d pages", sort, len(seen), pages)
			}
		}
		res := s.call("GET", "/api/v1/ideas?board=integrations&sort=new", key, nil, http.StatusOK).JSON(t)
		if n := len(res["ideas"].([]any)); n != 5 || res["next_cursor"] != nil {
			t.Errorf("board filter: %d ideas", n)
		}
		if n := len(s.call("GET", "/api/v1/ideas?status=planned", key, nil, http.StatusOK).JSON(t)["ideas"].([]any)); n != 0 {
			t.Errorf("status filter: %d", n)
		}
		for q, field := range map[string]string{
			"sort=sideways": "sort", "limit=0": "limit", "limit=500": "limit", "limit=x": "limit",
			"board=nope": "board", "status=nope": "status", "cursor=%%%garbage": "cursor",
		} {
			res := s.call("GET", "/api/v1/ideas?"+q, key, nil, http.StatusUnprocessableEntity).JSON(t)
			if errs, _ := res["errors"].(map[string]any); errs[field] == nil {
				t.Errorf("%s: %v", q, res)
			}
		}
	})
}

// Each key has its own budget: past it, 429 with Retry-After.
func TestAPIRateLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db, WithRates(map[string]Rate{"api-key": {Max: 3, Window: time.Hour}}))
		s := serveAPI(t, ta)
		a, b := apiKey(t, db, "A", models.ScopeRead), apiKey(t, db, "B", models.ScopeRead)
		for range 3 {
			s.call("GET", "/api/v1/statuses", a, nil, http.StatusOK)
		}
		r := s.call("GET", "/api/v1/statuses", a, nil, http.StatusTooManyRequests)
		if r.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		s.call("GET", "/api/v1/statuses", b, nil, http.StatusOK)
	})
}

// Votes on behalf under concurrency stay exact, and a revoked key is
// refused at once.
func TestAPIConcurrentVotes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		s := serveAPI(t, ta)
		people := dbtest.People(t, db)
		key := apiKey(t, db, "Storm", models.ScopeWrite)
		idea := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: people.Ann, Title: "Popular"})
		voters := make([]*models.User, 12)
		for i := range voters {
			voters[i] = dbtest.User(t, db, fmt.Sprintf("Voter %d", i), fmt.Sprintf("v%d@example.com", i), models.RoleMember)
		}
		var wg sync.WaitGroup
		for i := range 36 {
			wg.Add(1)
			go func(u *models.User, del bool) {
				defer wg.Done()
				method := "PUT"
				if del {
					method = "DELETE"
				}
				s.call(method, fmt.Sprintf("/api/v1/ideas/%d/votes/%d", idea.ID, u.ID), key, nil, http.StatusOK)
			}(voters[i%12], i >= 24 && i%2 == 0)
		}
		wg.Wait()
		rows := dbtest.Count(t, db, "SELECT count(*) FROM votes WHERE idea_id = ?", idea.ID)
		if got := dbtest.Reload(t, db, idea.ID).VotesCount; got != rows {
			t.Errorf("votes_count %d, rows %d", got, rows)
		}
		res := s.call("GET", fmt.Sprintf("/api/v1/ideas/%d", idea.ID), key, nil, http.StatusOK).JSON(t)
		if int(res["votes"].(float64)) != rows {
			t.Errorf("the API says %v votes, the rows %d", res["votes"], rows)
		}
		if _, err := models.RevokeAPIKey(t.Context(), db, "Storm"); err != nil {
			t.Fatal(err)
		}
		s.call("GET", "/api/v1/statuses", key, nil, http.StatusUnauthorized)
	})
}

// A customer's plan and revenue changed through the API move the revenue
// at stake of the ideas their company voted for, in the same transaction.
func TestAPIUserUpsertRecountsRevenue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		s := serveAPI(t, newTestApp(t, db))
		key := apiKey(t, db, "Billing", models.ScopeWrite)
		cast := dbtest.People(t, db)
		idea := dbtest.PostIdea(t, db, cast.Ann, "Single sign-on", "Please.")
		p := s.call("PUT", "/api/v1/users", key, map[string]any{
			"email": "dana@example.com", "name": "Dana", "company": "Acme", "plan": "pro", "mrr": 100,
		}, http.StatusCreated).JSON(t)
		dana := int64(p["id"].(float64))
		if _, err := models.VoteWith(context.Background(), db, idea.ID, dana, models.ImportanceCritical); err != nil {
			t.Fatal(err)
		}
		if got := dbtest.Reload(t, db, idea.ID); got.RevenueCents != 10000 || got.CriticalCount != 1 {
			t.Fatalf("after the vote: revenue %d, critical %d; want 10000, 1", got.RevenueCents, got.CriticalCount)
		}
		s.call("PUT", "/api/v1/users", key, map[string]any{"email": "dana@example.com", "mrr": 250.5}, http.StatusOK)
		if got := dbtest.Reload(t, db, idea.ID); got.RevenueCents != 25050 {
			t.Errorf("after the raise: revenue %d, want 25050", got.RevenueCents)
		}
		s.call("PUT", "/api/v1/users", key, map[string]any{"email": "dana@example.com", "company": "Globex"}, http.StatusOK)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM idea_companies WHERE idea_id = ? AND company = 'Acme'", idea.ID); n != 0 {
			t.Errorf("%d rows still count Acme on the idea", n)
		}
		if got := dbtest.Reload(t, db, idea.ID); got.RevenueCents != 25050 {
			t.Errorf("after the move to Globex: revenue %d, want 25050", got.RevenueCents)
		}
	})
}
