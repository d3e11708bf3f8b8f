package models_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// weighing is what an idea stores about who wants it.
type weighing struct {
	Votes, Critical int
	Revenue         int64
	Companies       string // company:voters, in order
	Plans           string
	Weeks           string // week:votes, in order
}

func readWeighing(t testing.TB, db *models.DB, ideaID int64) weighing {
	t.Helper()
	ctx := context.Background()
	var w weighing
	err := db.Bun().NewSelect().Table("ideas").ColumnExpr("votes_count, critical_count, revenue_cents").
		Where("id = ?", ideaID).Scan(ctx, &w.Votes, &w.Critical, &w.Revenue)
	if err != nil {
		t.Fatal(err)
	}
	list := func(q string) string {
		rows, err := db.Bun().QueryContext(ctx, q, ideaID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		s := ""
		for rows.Next() {
			var k string
			var n int
			if err := rows.Scan(&k, &n); err != nil {
				t.Fatal(err)
			}
			s += fmt.Sprintf("%s:%d ", k, n)
		}
		return s
	}
	w.Companies = list("SELECT company, voters FROM idea_companies WHERE idea_id = ? ORDER BY company")
	w.Plans = list("SELECT plan, voters FROM idea_plans WHERE idea_id = ? ORDER BY plan")
	w.Weeks = list("SELECT CAST(week AS VARCHAR(20)), votes FROM idea_weeks WHERE idea_id = ? ORDER BY week")
	return w
}

// wantRecounted checks that recounting every idea from its rows changes
// nothing: what the transactions kept is what the rows say.
func wantRecounted(t *testing.T, db *models.DB, ids ...int64) {
	t.Helper()
	before := make([]weighing, len(ids))
	for i, id := range ids {
		before[i] = readWeighing(t, db, id)
	}
	if err := models.RecountWeighing(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if after := readWeighing(t, db, id); after != before[i] {
			t.Errorf("idea %d kept %+v, its rows say %+v", id, before[i], after)
		}
	}
}

func TestRevenueCountsEachCompanyOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		dbtest.FixClock(db)
		// Acme's revenue is the largest its people carry: $1,000.
		acme1 := dbtest.Customer(t, db, "Ann Acme", "ann@acme.test", "Acme", "enterprise", 50000)
		acme2 := dbtest.Customer(t, db, "Al Acme", "al@acme.test", "Acme", "enterprise", 100000)
		solo := dbtest.Customer(t, db, "Sol", "sol@example.com", "", "pro", 30000)
		beta := dbtest.Customer(t, db, "Bea Beta", "bea@beta.test", "Beta", "pro", 20000)
		free := dbtest.User(t, db, "Fred", "fred@example.com", models.RoleMember)
		idea := dbtest.PostIdea(t, db, free, "Single sign-on", "")
		week := fmt.Sprint(models.WeekOf(dbtest.Fixed))

		if _, err := models.VoteWith(ctx, db, idea.ID, acme1.ID, models.ImportanceCritical); err != nil {
			t.Fatal(err)
		}
		if _, err := models.VoteFor(ctx, db, idea.ID, acme2.ID); err != nil {
			t.Fatal(err)
		}
		want := weighing{Votes: 2, Critical: 1, Revenue: 100000, Companies: "Acme:2 ", Plans: "enterprise:2 ", Weeks: week + ":2 "}
		if got := readWeighing(t, db, idea.ID); got != want {
			t.Fatalf("two Acme voters: %+v, want %+v", got, want)
		}
		for _, u := range []*models.User{solo, beta, free} {
			if _, err := models.VoteFor(ctx, db, idea.ID, u.ID); err != nil {
				t.Fatal(err)
			}
		}
		want = weighing{Votes: 5, Critical: 1, Revenue: 150000, Companies: "Acme:2 Beta:1 ", Plans: "enterprise:2 pro:2 ", Weeks: week + ":5 "}
		if got := readWeighing(t, db, idea.ID); got != want {
			t.Fatalf("five voters: %+v, want %+v", got, want)
		}

		// Importance changes never change the count; a plain vote keeps it.
		if res, err := models.VoteWith(ctx, db, idea.ID, acme2.ID, models.ImportanceCritical); err != nil || res.Votes != 5 {
			t.Fatalf("critical again: %+v, %v", res, err)
		}
		if _, err := models.VoteFor(ctx, db, idea.ID, acme2.ID); err != nil {
			t.Fatal(err)
		}
		if imp, _ := models.VoteImportance(ctx, db, idea.ID, acme2.ID); imp != models.ImportanceCritical {
			t.Fatalf("a plain vote changed the importance to %q", imp)
		}
		if _, err := models.VoteWith(ctx, db, idea.ID, acme1.ID, models.ImportanceNice); err != nil {
			t.Fatal(err)
		}
		if got := readWeighing(t, db, idea.ID); got.Votes != 5 || got.Critical != 1 {
			t.Fatalf("after importance changes: %+v, want 5 votes, 1 critical", got)
		}
		if _, err := models.VoteWith(ctx, db, idea.ID, acme1.ID, "urgent"); err == nil {
			t.Fatal("an unknown importance was taken")
		}

		// Acme stays while one of its people votes.
		if _, err := models.Unvote(ctx, db, idea.ID, acme2.ID); err != nil {
			t.Fatal(err)
		}
		want = weighing{Votes: 4, Critical: 0, Revenue: 150000, Companies: "Acme:1 Beta:1 ", Plans: "enterprise:1 pro:2 ", Weeks: week + ":4 "}
		if got := readWeighing(t, db, idea.ID); got != want {
			t.Fatalf("one Acme voter left: %+v, want %+v", got, want)
		}
		// With Acme's last voter gone, its revenue leaves the idea.
		if _, err := models.Unvote(ctx, db, idea.ID, acme1.ID); err != nil {
			t.Fatal(err)
		}
		want = weighing{Votes: 3, Critical: 0, Revenue: 50000, Companies: "Beta:1 ", Plans: "pro:2 ", Weeks: week + ":3 "}
		if got := readWeighing(t, db, idea.ID); got != want {
			t.Fatalf("Acme gone: %+v, want %+v", got, want)
		}

		// A change of revenue or company recounts what it touches.
		if err := models.SetCustomer(ctx, db, beta.ID, "Beta", "pro", 70000); err != nil {
			t.Fatal(err)
		}
		if got := readWeighing(t, db, idea.ID); got.Revenue != 100000 {
			t.Fatalf("after Beta grew: revenue %d, want 100000", got.Revenue)
		}
		if _, err := models.VoteFor(ctx, db, idea.ID, acme1.ID); err != nil {
			t.Fatal(err)
		}
		// Al leaves Acme for Beta: Acme is worth $500 now, Beta $1,000.
		if err := models.SetCustomer(ctx, db, acme2.ID, "Beta", "pro", 100000); err != nil {
			t.Fatal(err)
		}
		want = weighing{Votes: 4, Critical: 0, Revenue: 50000 + 100000 + 30000, Companies: "Acme:1 Beta:1 ", Plans: "enterprise:1 pro:2 ", Weeks: week + ":4 "}
		if got := readWeighing(t, db, idea.ID); got != want {
			t.Fatalf("after Al moved: %+v, want %+v", got, want)
		}
		wantRecounted(t, db, idea.ID)
	})
}

func TestMergeWeighsCompaniesOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		dbtest.FixClock(db)
		cast := dbtest.People(t, db)
		acme1 := dbtest.Customer(t, db, "Ann Acme", "ann@acme.test", "Acme", "enterprise", 100000)
		acme2 := dbtest.Customer(t, db, "Al Acme", "al@acme.test", "Acme", "enterprise", 100000)
		beta := dbtest.Customer(t, db, "Bea Beta", "bea@beta.test", "Beta", "pro", 20000)
		orig := dbtest.PostIdea(t, db, cast.Ann, "Dark mode", "")
		dup := dbtest.PostIdea(t, db, cast.Bob, "Night theme", "")
		for _, v := range []struct {
			idea *models.Idea
			u    *models.User
			imp  string
		}{{orig, acme1, ""}, {dup, acme2, models.ImportanceCritical}, {dup, beta, models.ImportanceCritical}, {dup, acme1, models.ImportanceCritical}} {
			if _, err := models.VoteWith(ctx, db, v.idea.ID, v.u.ID, v.imp); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := models.MergeIdea(ctx, db, dup.ID, orig.ID, cast.Staff); err != nil {
			t.Fatal(err)
		}
		week := fmt.Sprint(models.WeekOf(dbtest.Fixed))
		// Ann voted on both: her vote on the original stays, plain.
		want := weighing{Votes: 3, Critical: 2, Revenue: 120000, Companies: "Acme:2 Beta:1 ", Plans: "enterprise:2 pro:1 ", Weeks: week + ":3 "}
		if got := readWeighing(t, db, orig.ID); got != want {
			t.Fatalf("original: %+v, want %+v", got, want)
		}
		if got := readWeighing(t, db, dup.ID); got != (weighing{}) {
			t.Fatalf("duplicate: %+v, want nothing", got)
		}
	})
}

func TestWeeklyVotes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		clock := dbtest.FixClock(db)
		us := users(t, db, 6)
		idea := dbtest.PostIdea(t, db, us[0], "Weekly", "")
		week := 7 * 24 * time.Hour
		// Votes this week, two weeks ago (two) and twenty weeks ago.
		for i, ago := range []time.Duration{0, 2 * week, 2 * week, 20 * week} {
			dbtest.Vote(t, db, idea, us[i+1], clock.T.Add(-ago))
		}
		got, err := models.WeeklyVotes(ctx, db, []int64{idea.ID, idea.ID + 99}, clock.T, 4)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int{0, 2, 0, 1}; !reflect.DeepEqual(got[idea.ID], want) {
			t.Errorf("weeks %v, want %v", got[idea.ID], want)
		}
		if want := []int{0, 0, 0, 0}; !reflect.DeepEqual(got[idea.ID+99], want) {
			t.Errorf("unknown idea: %v, want %v", got[idea.ID+99], want)
		}
		// Unvoting takes the vote from the week it was cast.
		if _, err := models.Unvote(ctx, db, idea.ID, us[2].ID); err != nil {
			t.Fatal(err)
		}
		got, _ = models.WeeklyVotes(ctx, db, []int64{idea.ID}, clock.T, 4)
		if want := []int{0, 1, 0, 1}; !reflect.DeepEqual(got[idea.ID], want) {
			t.Errorf("after unvote: %v, want %v", got[idea.ID], want)
		}
		if s := models.WeekStart(models.WeekOf(clock.T)); s.Weekday() != time.Monday || clock.T.Before(s) || !clock.T.Before(s.Add(week)) {
			t.Errorf("week of %v starts %v", clock.T, s)
		}
		wantRecounted(t, db, idea.ID)
	})
}

// Concurrent votes, unvotes, importance changes and revenue changes by
// people of a few companies leave every idea's weighing what its rows say.
func TestWeighingStormIsExact(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		author := dbtest.User(t, db, "Author", "author@example.com", models.RoleMember)
		ideas := []*models.Idea{
			dbtest.PostIdea(t, db, author, "Storm one", ""),
			dbtest.PostIdea(t, db, author, "Storm two", ""),
		}
		var people []*models.User
		for i := 0; i < 12; i++ {
			company := []string{"Acme", "Beta", "Gamma", ""}[i%4]
			people = append(people, dbtest.Customer(t, db, fmt.Sprintf("P%d", i), fmt.Sprintf("p%d@example.com", i), company, "pro", int64(1000*(i+1))))
		}
		var wg sync.WaitGroup
		for w := 0; w < 6; w++ {
			wg.Add(1)
			go func(seed int64) {
				defer wg.Done()
				r := rand.New(rand.NewSource(seed))
				for i := 0; i < 25; i++ {
					u := people[r.Intn(len(people))]
					idea := ideas[r.Intn(len(ideas))]
					var err error
					switch r.Intn(4) {
					case 0:
						_, err = models.Unvote(ctx, db, idea.ID, u.ID)
					case 1:
						err = models.SetCustomer(ctx, db, u.ID, u.Company, "pro", int64(r.Intn(5000)))
					default:
						_, err = models.VoteWith(ctx, db, idea.ID, u.ID, models.Importances[r.Intn(3)])
					}
					if err != nil {
						t.Error(err)
						return
					}
				}
			}(int64(w))
		}
		wg.Wait()
		for _, idea := range ideas {
			wantVotes(t, db, idea.ID, dbtest.Count(t, db, "SELECT count(*) FROM votes WHERE idea_id = ?", idea.ID))
		}
		wantRecounted(t, db, ideas[0].ID, ideas[1].ID)
	})
}

// An import writes rows directly; the weighing of what it brought in comes
// from the rows: the generic import and a Cluetrain export moved across
// engines both arrive with exact revenue, critical counts and weeks.
func TestImportsWeighFromRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		dbtest.FixClock(db)
		known := dbtest.Customer(t, db, "Known", "known@acme.test", "Acme", "enterprise", 90000)
		dbtest.Customer(t, db, "Colleague", "col@acme.test", "Acme", "enterprise", 10000)
		day := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC) // a Monday
		set := &models.ImportSet{
			Source: "test",
			People: []models.ImportPerson{
				{Key: "p1", Email: "known@acme.test", CreatedAt: day},
				{Key: "p2", Email: "col@acme.test", CreatedAt: day},
				{Key: "p3", Email: "new@example.com", CreatedAt: day},
			},
			Boards: []models.ImportBoard{{Key: "b1", Name: "Feature Requests"}},
			Ideas:  []models.ImportIdea{{Key: "i1", BoardKey: "b1", AuthorKey: "p3", Title: "Imported", Status: "open", CreatedAt: day}},
			Votes: []models.ImportVote{
				{IdeaKey: "i1", PersonKey: "p1", CreatedAt: day},
				{IdeaKey: "i1", PersonKey: "p2", CreatedAt: day.Add(7 * 24 * time.Hour)},
				{IdeaKey: "i1", PersonKey: "p3", CreatedAt: day.Add(7 * 24 * time.Hour)},
			},
		}
		if _, err := models.Import(ctx, db, set); err != nil {
			t.Fatal(err)
		}
		id := int64(dbtest.Count(t, db, "SELECT id FROM ideas WHERE title = 'Imported'"))
		w := models.WeekOf(day)
		want := weighing{Votes: 3, Revenue: 90000, Companies: "Acme:2 ", Plans: "enterprise:2 ", Weeks: fmt.Sprintf("%d:1 %d:2 ", w, w+1)}
		if got := readWeighing(t, db, id); got != want {
			t.Fatalf("imported idea: %+v, want %+v", got, want)
		}
		if _, err := models.VoteWith(ctx, db, id, known.ID, models.ImportanceCritical); err != nil {
			t.Fatal(err)
		}

		// Moved to the other engine through an export.
		other := "sqlite"
		if !db.PG() {
			if os.Getenv("TEST_DATABASE_URL") == "" {
				return
			}
			other = "postgres"
		}
		to := dbtest.Open(t, other)
		var buf bytes.Buffer
		if _, err := models.Export(ctx, db, &buf, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := models.ImportCluetrain(ctx, to, &buf, "digest", nil); err != nil {
			t.Fatal(err)
		}
		want.Critical = 1
		if got := readWeighing(t, to, id); got != want {
			t.Fatalf("after the move to %s: %+v, want %+v", other, got, want)
		}
	})
}

// Triage pages by keyset in every sort, with the plan filter, and the
// pages together are the whole ranking, each idea once.
func TestTriagePagesByRevenueAndPlan(t *testing.T) {
	for _, rare := range []int{1000, 0} {
		t.Run(fmt.Sprintf("rare=%d", rare), func(t *testing.T) {
			defer func(was int) { *models.RarePlanIdeas = was }(*models.RarePlanIdeas)
			*models.RarePlanIdeas = rare // 0: every plan is walked for
			triagePagesByRevenueAndPlan(t)
		})
	}
}

func triagePagesByRevenueAndPlan(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		dbtest.FixClock(db)
		author := dbtest.User(t, db, "Author", "author@example.com", models.RoleMember)
		for i := 0; i < 7; i++ {
			idea := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: author, Title: fmt.Sprintf("Idea %d", i), Status: []string{"open", "under_review"}[i%2]})
			plan := "pro"
			if i == 3 {
				plan = "free"
			}
			// Two ideas share each revenue, so ties are broken by id.
			u := dbtest.Customer(t, db, fmt.Sprintf("C%d", i), fmt.Sprintf("c%d@example.com", i), fmt.Sprintf("Co %d", i), plan, int64(1000*(i/2)))
			if _, err := models.VoteFor(ctx, db, idea.ID, u.ID); err != nil {
				t.Fatal(err)
			}
		}
		// By revenue, highest first: 6 (3000), 5 and 4 (2000: 5 first), 2
		// (1000), 1 and 0 (nothing); 3 is on the free plan.
		want := []string{"Idea 6", "Idea 5", "Idea 4", "Idea 2", "Idea 1", "Idea 0"}
		var got []string
		q := models.TriageQuery{Sort: models.TriageRevenue, Plan: "pro", Limit: 2}
		for pages := 0; ; pages++ {
			page, err := models.Triage(ctx, db, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) > 2 || pages > 5 {
				t.Fatalf("page %d has %d items", pages, len(page.Items))
			}
			for _, it := range page.Items {
				got = append(got, it.Title)
			}
			if page.Next == "" {
				break
			}
			q.After = page.Next
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("revenue pages: %v, want %v", got, want)
		}
		// Whether a plan is rare is counted along the plan's index; a rare
		// plan's ideas are read from it, a common plan's are found by
		// walking the ranking and probing each idea.
		plans := planOf(t, db, func(ctx context.Context, db *models.DB) {
			if _, err := models.Triage(ctx, db, models.TriageQuery{Sort: models.TriageRevenue, Plan: "pro"}); err != nil {
				t.Fatal(err)
			}
		})
		counted, read := false, 0
		for sql, plan := range plans {
			switch {
			case strings.Contains(sql, "FROM idea_plans WHERE plan"):
				counted = strings.Contains(plan, "idea_plans_plan_idx")
			case strings.Contains(sql, `FROM "ideas"`) && strings.Contains(sql, "idea_plans"):
				if byPlan := strings.Contains(sql, "id IN (SELECT ip.idea_id"); byPlan != (*models.RarePlanIdeas > 0) {
					t.Errorf("ideas read by plan: %v, with rare at %d", byPlan, *models.RarePlanIdeas)
				}
				read++
			}
		}
		if !counted || read != 2 {
			t.Errorf("counted along idea_plans_plan_idx: %v; %d ranking queries, want 2", counted, read)
		}
		if _, err := models.Triage(ctx, db, models.TriageQuery{Sort: models.TriageRevenue, After: "bm90LWEtY3Vyc29y"}); err == nil {
			t.Error("a bad cursor was taken")
		}
	})
}

// The triage filter's plans are each plan once, in order, read a plan at a
// time from users_plan_idx rather than by grouping everyone.
func TestPlansAreReadOneAtATime(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		if got, err := models.Plans(ctx, db); err != nil || len(got) != 0 {
			t.Fatalf("plans of nobody: %v, %v", got, err)
		}
		for i, plan := range []string{"pro", "enterprise", "pro", "", "starter", "enterprise"} {
			dbtest.Customer(t, db, fmt.Sprintf("Customer %d", i), fmt.Sprintf("c%d@example.com", i), fmt.Sprintf("Co %d", i), plan, 1000)
		}
		got, err := models.Plans(ctx, db)
		if err != nil || !reflect.DeepEqual(got, []string{"enterprise", "pro", "starter"}) {
			t.Fatalf("plans %v, %v", got, err)
		}
		for i := range 60 {
			dbtest.Customer(t, db, fmt.Sprintf("Many %d", i), fmt.Sprintf("m%d@example.com", i), "Many", fmt.Sprintf("plan-%02d", i), 1000)
		}
		if got, err := models.Plans(ctx, db); err != nil || len(got) != 50 || got[0] != "enterprise" || got[49] != "plan-48" {
			t.Fatalf("%d plans (%v), want the first 50", len(got), err)
		}

		dbtest.Analyze(t, db)
		explain := "EXPLAIN QUERY PLAN "
		if db.PG() {
			explain = "EXPLAIN "
		}
		var lines []string
		rec := &queryRecorder{}
		if _, err := models.Plans(ctx, db.WithQueryHook(planHook{rec})); err != nil {
			t.Fatal(err)
		}
		if len(rec.queries) != 1 {
			t.Fatalf("%d queries", len(rec.queries))
		}
		rows, err := db.Bun().QueryContext(ctx, explain+rec.queries[0])
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprint(vals[len(vals)-1]))
		}
		plan := strings.Join(lines, "\n")
		probes := strings.Count(plan, "SEARCH users USING COVERING INDEX users_plan_idx (plan>?)") == 2
		if db.PG() {
			probes = strings.Contains(plan, "Index Only Scan using users_plan_idx") && !strings.Contains(plan, "Seq Scan")
		}
		if !probes {
			t.Errorf("plans are not read from users_plan_idx:\n%s", plan)
		}
	})
}

// planHook records every statement, WITH queries too.
type planHook struct{ r *queryRecorder }

func (h planHook) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }
func (h planHook) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	h.r.queries = append(h.r.queries, e.Query)
}
