package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// Two instances on one database allow together exactly what one allows.
func TestLimitsAreSharedByInstances(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		rates := WithRates(map[string]Rate{
			"signin-email": {Max: 3, Window: 10 * time.Minute},
			"signin-ip":    {Max: 5, Window: time.Minute},
			"vote-user":    {Max: 4, Window: time.Minute},
		})
		one, two := newTestApp(t, db, rates), newTestApp(t, db, rates)
		instances := []*testApp{one, two}
		now := db.Now()
		retryAfter := func(window int64) string {
			return strconv.FormatInt(window-now.Unix()%window, 10)
		}

		// Sign-in links for one address, alternating instances: three go
		// out, the fourth is refused by whichever instance gets it.
		for i := range 4 {
			c := instances[i%2].client()
			resp := c.post("/login/email", url.Values{"email": {"ada@example.com"}})
			if i < 3 {
				wantStatus(t, resp, http.StatusOK)
				continue
			}
			wantStatus(t, resp, http.StatusTooManyRequests)
			if got := resp.Header.Get("Retry-After"); got != retryAfter(600) {
				t.Fatalf("Retry-After = %q, want %s", got, retryAfter(600))
			}
		}
		// The per-address limit counted all four, and refuses the sixth.
		wantStatus(t, one.client().post("/login/email", url.Values{"email": {"bob@example.com"}}), http.StatusOK)
		resp := two.client().post("/login/email", url.Values{"email": {"cy@example.com"}})
		wantStatus(t, resp, http.StatusTooManyRequests)
		if got := resp.Header.Get("Retry-After"); got != retryAfter(60) {
			t.Fatalf("Retry-After = %q, want %s", got, retryAfter(60))
		}

		// A person's votes, alternating instances: four, then 429.
		cast := dbtest.People(t, db)
		idea := dbtest.PostIdea(t, db, cast.Ann, "Shared limits", "")
		for i := range 5 {
			c := instances[i%2].client()
			c.signInAs(cast.Bob)
			action := []string{"vote", "unvote"}[i%2]
			code := http.StatusOK
			if i == 4 {
				code = http.StatusTooManyRequests
			}
			wantStatus(t, c.post(fmt.Sprintf("/ideas/%d/%s", idea.ID, action), nil, "Accept", "application/json"), code)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM votes"); n != 0 {
			t.Fatalf("%d votes after vote, unvote, vote, unvote and a refused vote", n)
		}
		// cy's request was refused by the address limit before its email
		// was counted.
		if n := dbtest.Count(t, db, "SELECT count(*) FROM rate_limits"); n != 4 {
			t.Fatalf("%d counters, want 4 (two addresses, one client, one person)", n)
		}

		// A new window starts afresh; the hourly upkeep deletes the
		// counters of ended windows.
		two.clock.Advance(10 * time.Minute) // the database's clock, which both read
		wantStatus(t, two.client().post("/login/email", url.Values{"email": {"ada@example.com"}}), http.StatusOK)
		n, err := models.PurgeLimits(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Fatalf("purged %d counters, want 2 (bob's and the person's votes)", n)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM rate_limits"); n != 2 {
			t.Fatalf("%d counters left, want 2", n)
		}
	})
}
