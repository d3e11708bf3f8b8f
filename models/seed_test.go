package models_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func TestSeedKeepsEveryCounterExact(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		dbtest.FixClock(db)
		res, err := models.Seed(ctx, db, models.SeedOptions{Users: 40, Ideas: 60, Votes: 700, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		if res.Users != 40 || res.Ideas != 60 || res.Votes != 700 {
			t.Fatalf("seed result %+v", res)
		}
		checks := []struct {
			name  string
			query string
			want  int
		}{
			{"users", "SELECT count(*) FROM users", 40},
			{"ideas", "SELECT count(*) FROM ideas", 60},
			{"vote rows", "SELECT count(*) FROM votes", 700},
			{"ideas whose votes_count differs from their rows", "SELECT count(*) FROM ideas i WHERE votes_count <> (SELECT count(*) FROM votes v WHERE v.idea_id = i.id)", 0},
			{"ideas whose comments_count differs", "SELECT count(*) FROM ideas i WHERE comments_count <> (SELECT count(*) FROM comments c WHERE c.idea_id = i.id AND c.hidden_at IS NULL)", 0},
			{"comment rows vs result", "SELECT count(*) FROM comments", res.Comments},
			{"idea.created events", "SELECT count(*) FROM events WHERE kind = 'idea.created'", 60},
			{"comment events", "SELECT count(*) FROM events WHERE kind = 'idea.commented'", res.Comments},
			{"authors subscribed", "SELECT count(*) FROM subscriptions", 60},
			{"ideas with votes but no trend", "SELECT count(*) FROM ideas WHERE votes_count > 0 AND trend_score <= -1e8", 0},
			{"ideas without votes but a trend", "SELECT count(*) FROM ideas WHERE votes_count = 0 AND trend_score > -1e8", 0},
			{"ideas without a summary", "SELECT count(*) FROM ideas WHERE summary = ''", 0},
			{"summaries with markdown or markup", "SELECT count(*) FROM ideas WHERE summary LIKE '%*%' OR summary LIKE '%<%'", 0},
		}
		for _, c := range checks {
			if got := dbtest.Count(t, db, c.query); got != c.want {
				t.Errorf("%s = %d, want %d", c.name, got, c.want)
			}
		}
		// Votes are skewed toward popular ideas: the top idea has far more than average.
		if top := dbtest.Count(t, db, "SELECT max(votes_count) FROM ideas"); top < 2*700/60 {
			t.Errorf("top idea has %d votes; want a skew toward popular ideas", top)
		}
		if _, err := models.Seed(ctx, db, models.SeedOptions{Users: 1, Ideas: 1, Votes: 1}); !errors.Is(err, models.ErrNotEmpty) {
			t.Errorf("seeding a non-empty portal: %v, want ErrNotEmpty", err)
		}
	})
}

func TestSeedIsDeterministic(t *testing.T) {
	fingerprint := func() string {
		db := dbtest.Open(t, "sqlite")
		dbtest.FixClock(db)
		if _, err := models.Seed(context.Background(), db, models.SeedOptions{Users: 20, Ideas: 30, Votes: 200, Seed: 42}); err != nil {
			t.Fatal(err)
		}
		var fp string
		err := db.Bun().QueryRow(`SELECT group_concat(title || ':' || votes_count || ':' || comments_count || ':' || status_id, '|') FROM (SELECT * FROM ideas ORDER BY id)`).Scan(&fp)
		if err != nil {
			t.Fatal(err)
		}
		return fp
	}
	a, b := fingerprint(), fingerprint()
	if a != b || a == "" {
		t.Errorf("two seeds with the same flags differ:\n%s\n%s", a, b)
	}
}

// With companies, most people are customers and the ideas' revenue at
// stake and critical counts are what their votes say.
func TestSeedWithCompaniesWeighsExactly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		if _, err := models.Seed(ctx, db, models.SeedOptions{Users: 40, Ideas: 30, Votes: 400, Seed: 3, Companies: 8}); err != nil {
			t.Fatal(err)
		}
		customers := dbtest.Count(t, db, "SELECT count(*) FROM users WHERE company <> '' AND plan <> '' AND mrr_cents > 0")
		if customers < 20 || customers > 40 {
			t.Errorf("%d customers of 40 people (+ staff)", customers)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM ideas WHERE revenue_cents > 0"); n == 0 {
			t.Error("no idea has revenue at stake")
		}
		if n := dbtest.Count(t, db, "SELECT sum(critical_count) FROM ideas"); n != dbtest.Count(t, db, "SELECT count(*) FROM votes WHERE importance = 'critical'") || n == 0 {
			t.Errorf("critical counts sum to %d", n)
		}
		var ids []int64
		if err := db.Bun().NewSelect().Table("ideas").Column("id").Scan(ctx, &ids); err != nil {
			t.Fatal(err)
		}
		wantRecounted(t, db, ids...)
	})
}
