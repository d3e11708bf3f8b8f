package models_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// users inserts n members.
func users(t testing.TB, db *models.DB, n int) []*models.User {
	t.Helper()
	us := make([]*models.User, n)
	for i := range us {
		us[i] = dbtest.User(t, db, fmt.Sprintf("User %d", i), fmt.Sprintf("u%d@example.com", i), models.RoleMember)
	}
	return us
}

// wantVotes checks the stored counter against the vote rows.
func wantVotes(t *testing.T, db *models.DB, ideaID int64, want int) {
	t.Helper()
	rows := dbtest.Count(t, db, "SELECT count(*) FROM votes WHERE idea_id = ?", ideaID)
	counter := dbtest.Count(t, db, "SELECT votes_count FROM ideas WHERE id = ?", ideaID)
	if rows != want || counter != want {
		t.Fatalf("votes: %d rows, counter %d, want %d", rows, counter, want)
	}
}

func TestVoteIsIdempotentAndExact(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		clock := dbtest.FixClock(db)
		us := users(t, db, 2)
		idea := dbtest.PostIdea(t, db, us[0], "Export reports", "")

		for i := 0; i < 3; i++ {
			res, err := models.VoteFor(ctx, db, idea.ID, us[1].ID)
			if err != nil || res != (models.VoteResult{Voted: true, Votes: 1}) {
				t.Fatalf("vote %d: %+v, %v", i, res, err)
			}
		}
		wantVotes(t, db, idea.ID, 1)
		got := dbtest.Reload(t, db, idea.ID)
		if want := models.TrendOf([]time.Time{clock.T}); math.Abs(got.TrendScore-want) > 1e-9 || !got.LastActivityAt.Equal(clock.T) {
			t.Errorf("trend %v want %v, last activity %v", got.TrendScore, want, got.LastActivityAt)
		}
		if ok, err := models.HasVoted(ctx, db, idea.ID, us[1].ID); err != nil || !ok {
			t.Errorf("HasVoted = %v, %v after voting", ok, err)
		}
		voted, err := models.VotedIdeaIDs(ctx, db, us[1].ID, []int64{idea.ID, idea.ID + 1})
		if err != nil || !voted[idea.ID] || len(voted) != 1 {
			t.Errorf("VotedIdeaIDs = %v, %v", voted, err)
		}

		clock.Advance(time.Hour)
		for i := 0; i < 2; i++ {
			res, err := models.Unvote(ctx, db, idea.ID, us[1].ID)
			if err != nil || res != (models.VoteResult{Voted: false, Votes: 0}) {
				t.Fatalf("unvote %d: %+v, %v", i, res, err)
			}
		}
		wantVotes(t, db, idea.ID, 0)
		if got := dbtest.Reload(t, db, idea.ID); got.TrendScore != models.NoTrend {
			t.Errorf("trend after last unvote = %v, want NoTrend", got.TrendScore)
		}

		if _, err := models.VoteFor(ctx, db, idea.ID+1000, us[1].ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("vote on missing idea: %v, want ErrNotFound", err)
		}
	})
}

func TestClosedIdeasRefuseNewVotes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		us := users(t, db, 3)
		for _, slug := range []string{"done", "declined", "duplicate"} {
			// Closed with a vote cast while it was open.
			idea := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: us[0], Title: "Closed as " + slug, Status: slug})
			dbtest.Vote(t, db, idea, us[1], db.Now().Add(-time.Hour))
			var re *models.RuleError
			if _, err := models.VoteFor(ctx, db, idea.ID, us[2].ID); !errors.As(err, &re) {
				t.Errorf("%s: vote err = %v, want RuleError", slug, err)
			}
			// A vote already cast may still be withdrawn.
			if res, err := models.Unvote(ctx, db, idea.ID, us[1].ID); err != nil || res.Votes != 0 {
				t.Errorf("%s: unvote %+v, %v", slug, res, err)
			}
			wantVotes(t, db, idea.ID, 0)
		}
	})
}

func TestConcurrentVotesAreExact(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		us := users(t, db, 200)
		idea := dbtest.PostIdea(t, db, us[0], "Popular idea", "")

		var wg sync.WaitGroup
		errs := make(chan error, 250)
		for _, u := range us {
			wg.Add(1)
			go func(id int64) {
				defer wg.Done()
				if _, err := models.VoteFor(ctx, db, idea.ID, id); err != nil {
					errs <- err
				}
			}(u.ID)
		}
		// One user double-submitting 50 times at once.
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := models.VoteFor(ctx, db, idea.ID, us[7].ID); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("vote failed: %v", err)
		}
		wantVotes(t, db, idea.ID, 200)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM votes WHERE idea_id = ? AND user_id = ?", idea.ID, us[7].ID); n != 1 {
			t.Errorf("double-submitter has %d votes", n)
		}
		var times []time.Time
		if err := db.Bun().NewSelect().Table("votes").Column("created_at").Where("idea_id = ?", idea.ID).Scan(ctx, &times); err != nil {
			t.Fatal(err)
		}
		got := dbtest.Reload(t, db, idea.ID)
		if want := models.TrendOf(times); math.Abs(got.TrendScore-want) > 1e-9 {
			t.Errorf("trend score %v, want %v from the rows", got.TrendScore, want)
		}
	})
}

func TestVoteStormsNeverGoWrong(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		us := users(t, db, 20)
		idea := dbtest.PostIdea(t, db, us[0], "Stormy idea", "")

		var wg sync.WaitGroup
		var mu sync.Mutex
		var failures []error
		for w, u := range us {
			wg.Add(1)
			go func(w int, id int64) {
				defer wg.Done()
				rng := rand.New(rand.NewSource(int64(w)))
				for i := 0; i < 15; i++ {
					var err error
					var res models.VoteResult
					if rng.Intn(2) == 0 {
						res, err = models.VoteFor(ctx, db, idea.ID, id)
					} else {
						res, err = models.Unvote(ctx, db, idea.ID, id)
					}
					if err == nil && (res.Votes < 0 || res.Votes > len(us)) {
						err = fmt.Errorf("impossible count %d", res.Votes)
					}
					if err != nil {
						mu.Lock()
						failures = append(failures, err)
						mu.Unlock()
					}
				}
			}(w, u.ID)
		}
		wg.Wait()
		for _, err := range failures {
			t.Errorf("storm: %v", err)
		}
		rows := dbtest.Count(t, db, "SELECT count(*) FROM votes WHERE idea_id = ?", idea.ID)
		wantVotes(t, db, idea.ID, rows)
		// Withdrawing every vote leaves exactly nothing behind.
		for _, u := range us {
			if _, err := models.Unvote(ctx, db, idea.ID, u.ID); err != nil {
				t.Fatal(err)
			}
		}
		wantVotes(t, db, idea.ID, 0)
		if got := dbtest.Reload(t, db, idea.ID); got.TrendScore != models.NoTrend {
			t.Errorf("trend after storm = %v", got.TrendScore)
		}
	})
}

// TestTrendOrderMatchesDecayedCounts is a property test: for random vote
// histories (votes and withdrawals spread over weeks), ordering ideas by
// trend_score is the same as ordering them by their votes decayed with the
// half-life to the present, computed naively.
func TestTrendOrderMatchesDecayedCounts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		clock := dbtest.FixClock(db)
		us := users(t, db, 12)
		const nIdeas = 8
		for round := int64(0); round < 4; round++ {
			rng := rand.New(rand.NewSource(round))
			ideas := make([]*models.Idea, nIdeas)
			for i := range ideas {
				ideas[i] = dbtest.PostIdea(t, db, us[0], fmt.Sprintf("Round %d idea %d", round, i), "")
			}
			cast := map[[2]int64]time.Time{} // live votes: (idea, user) -> time cast
			for step := 0; step < 120; step++ {
				clock.Advance(time.Duration(rng.Int63n(int64(36 * time.Hour))))
				idea := ideas[rng.Intn(nIdeas)]
				u := us[rng.Intn(len(us))]
				key := [2]int64{idea.ID, u.ID}
				if _, ok := cast[key]; ok && rng.Intn(3) == 0 {
					if _, err := models.Unvote(ctx, db, idea.ID, u.ID); err != nil {
						t.Fatal(err)
					}
					delete(cast, key)
				} else {
					if _, err := models.VoteFor(ctx, db, idea.ID, u.ID); err != nil {
						t.Fatal(err)
					}
					if _, ok := cast[key]; !ok {
						cast[key] = clock.T.Truncate(time.Microsecond)
					}
				}
			}
			naive := map[int64]float64{}
			for key, at := range cast {
				age := clock.T.Sub(at).Hours() / models.TrendHalfLife.Hours()
				naive[key[0]] += math.Pow(0.5, age)
			}
			page, err := models.ListIdeas(ctx, db, models.IdeaQuery{Sort: models.SortTrending, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			var listed []models.Idea
			for _, i := range page.Ideas {
				for _, mine := range ideas {
					if i.ID == mine.ID {
						listed = append(listed, i)
					}
				}
			}
			if len(listed) != nIdeas {
				t.Fatalf("round %d: %d of %d ideas listed", round, len(listed), nIdeas)
			}
			want := append([]models.Idea(nil), listed...)
			sort.SliceStable(want, func(a, b int) bool {
				if naive[want[a].ID] != naive[want[b].ID] {
					return naive[want[a].ID] > naive[want[b].ID]
				}
				return want[a].ID > want[b].ID
			})
			for i := range listed {
				a, b := naive[listed[i].ID], naive[want[i].ID]
				if listed[i].ID != want[i].ID && math.Abs(a-b) > 1e-9*math.Max(a, b) {
					t.Fatalf("round %d: position %d is idea %d (decayed %.6f), want %d (decayed %.6f)",
						round, i, listed[i].ID, a, want[i].ID, b)
				}
			}
		}
	})
}
