package models_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// columnTitles lists each roadmap column's card titles, by status slug.
func columnTitles(t *testing.T, db *models.DB, viewer *models.User) map[string][]string {
	t.Helper()
	cols, err := models.Roadmap(context.Background(), db, viewer)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, col := range cols {
		titles := []string{}
		for _, c := range col.Cards {
			titles = append(titles, c.Title)
		}
		out[col.Status.Slug] = titles
	}
	return out
}

func TestRoadmapOrderIsStoredAndStable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		clock := dbtest.FixClock(db)
		p := dbtest.People(t, db)
		ids := map[string]int64{}
		for _, title := range []string{"One", "Two", "Three", "Four"} {
			idea := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: title, Status: "open"})
			ids[title] = idea.ID
			if _, err := models.ChangeStatus(ctx, db, idea.ID, p.Staff, "planned", ""); err != nil {
				t.Fatal(err)
			}
		}
		// Rows that were put in a column without a position (all zero) are
		// ordered by id until staff order them.
		seeded := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: "Seeded", Status: "in_progress"})
		other := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: "Other", Status: "in_progress"})

		want := map[string][]string{"planned": {"One", "Two", "Three", "Four"}, "in_progress": {"Seeded", "Other"}, "done": {}}
		if got := columnTitles(t, db, nil); !reflect.DeepEqual(got, want) {
			t.Fatalf("roadmap %v, want %v", got, want)
		}

		move := func(title string, m models.RoadmapMove) {
			t.Helper()
			clock.Advance(time.Minute)
			if _, err := models.MoveRoadmapCard(ctx, db, ids[title], p.Staff, m); err != nil {
				t.Fatalf("move %s %+v: %v", title, m, err)
			}
		}
		ids["Seeded"], ids["Other"] = seeded.ID, other.ID
		move("Three", models.RoadmapMove{Direction: "up"})
		move("One", models.RoadmapMove{Direction: "up"}) // already first: stays
		move("Four", models.RoadmapMove{Status: "planned", BeforeID: ids["One"]})
		move("One", models.RoadmapMove{Direction: "down"})
		move("Two", models.RoadmapMove{Direction: "down"}) // already last: stays
		move("Other", models.RoadmapMove{Direction: "up"})
		want["planned"] = []string{"Four", "Three", "One", "Two"}
		want["in_progress"] = []string{"Other", "Seeded"}
		for i := 0; i < 2; i++ { // the order is stored: reading again changes nothing
			if got := columnTitles(t, db, p.Ann); !reflect.DeepEqual(got, want) {
				t.Fatalf("roadmap %v, want %v", got, want)
			}
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE kind = ?", models.EventRoadmapMoved); n != 4 {
			t.Errorf("%d roadmap-moved events, want 4 (the moves that changed nothing record none)", n)
		}
		var rm models.RoadmapMoved
		evs := dbtest.Events(t, db, models.EventRoadmapMoved, ids["Four"])
		if len(evs) != 1 || evs[0].Decode(&rm) != nil || rm != (models.RoadmapMoved{Status: "planned", From: 4, To: 1}) {
			t.Errorf("Four's move: %+v", rm)
		}

		// Between columns: a status change, at the end or before a card.
		move("One", models.RoadmapMove{Status: "in_progress", BeforeID: ids["Seeded"]})
		move("Two", models.RoadmapMove{Status: "in_progress"})
		move("Four", models.RoadmapMove{Status: "done"})
		want = map[string][]string{"planned": {"Three"}, "in_progress": {"Other", "One", "Seeded", "Two"}, "done": {"Four"}}
		if got := columnTitles(t, db, nil); !reflect.DeepEqual(got, want) {
			t.Fatalf("roadmap %v, want %v", got, want)
		}
		var sc models.StatusChange
		evs = dbtest.Events(t, db, models.EventStatusChanged, ids["One"])
		if len(evs) != 2 || evs[1].Decode(&sc) != nil || sc.From != "planned" || sc.To != "in_progress" {
			t.Errorf("One's status events: %d, last %+v", len(evs), sc)
		}

		// Refusals change nothing.
		var ve *models.ValidationError
		for _, m := range []models.RoadmapMove{{Direction: "sideways"}, {Status: "open"}, {Status: "nope"}, {}} {
			if _, err := models.MoveRoadmapCard(ctx, db, ids["Three"], p.Staff, m); !errors.As(err, &ve) {
				t.Errorf("move %+v: err %v, want a validation error", m, err)
			}
		}
		if _, err := models.MoveRoadmapCard(ctx, db, ids["Four"], p.Staff, models.RoadmapMove{Direction: "up"}); !errors.As(err, &ve) {
			t.Errorf("reordering done: err %v", err)
		}
		if _, err := models.MoveRoadmapCard(ctx, db, ids["Three"], p.Ann, models.RoadmapMove{Direction: "up"}); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("member move: err %v", err)
		}
		if got := columnTitles(t, db, nil); !reflect.DeepEqual(got, want) {
			t.Fatalf("roadmap after refusals %v, want %v", got, want)
		}
	})
}

func TestRoadmapHidesWhatTheViewerMayNotSee(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		dbtest.FixClock(db)
		p := dbtest.People(t, db)
		dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: "Secret", Status: "planned", Board: dbtest.Board(t, db, "internal", true)})
		dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: "Public", Status: "planned"})
		hidden := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: "Spam", Status: "planned"})
		if err := models.HideIdea(ctx, db, hidden.ID, p.Staff, true); err != nil {
			t.Fatal(err)
		}
		if got := columnTitles(t, db, p.Ann)["planned"]; !reflect.DeepEqual(got, []string{"Public"}) {
			t.Errorf("member sees %v", got)
		}
		if got := columnTitles(t, db, nil)["planned"]; !reflect.DeepEqual(got, []string{"Public"}) {
			t.Errorf("visitor sees %v", got)
		}
		if got := columnTitles(t, db, p.Staff)["planned"]; !reflect.DeepEqual(got, []string{"Secret", "Public"}) {
			t.Errorf("staff see %v", got)
		}
		if err := models.HideIdea(ctx, db, hidden.ID, p.Ann, false); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("member unhide: %v", err)
		}
		if err := models.HideIdea(ctx, db, hidden.ID, p.Staff, false); err != nil {
			t.Fatal(err)
		}
		if got := columnTitles(t, db, nil)["planned"]; len(got) != 2 {
			t.Errorf("after unhiding, visitor sees %v", got)
		}
	})
}

func TestChangelogNewestFirstWithPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		clock := dbtest.FixClock(db)
		p := dbtest.People(t, db)
		private := dbtest.Board(t, db, "internal", true)
		var shipped []string
		for i, title := range []string{"First", "Second", "Internal", "Third"} {
			var b *models.Board // the default board
			if title == "Internal" {
				b = private
			}
			idea := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: title, Status: "open", Board: b})
			clock.Advance(time.Duration(i+1) * time.Hour)
			if _, err := models.ChangeStatus(ctx, db, idea.ID, p.Staff, "done", "Shipped "+title+"."); err != nil {
				t.Fatal(err)
			}
			shipped = append([]string{title}, shipped...)
		}
		dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: "Not yet", Status: "planned"})

		walk := func(viewer *models.User) []string {
			var titles []string
			q := models.ChangelogQuery{Limit: 2, Viewer: viewer}
			for pages := 0; pages < 5; pages++ {
				page, err := models.Changelog(ctx, db, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, idea := range page.Ideas {
					if idea.ResponseAuthor == nil || idea.ResponseHTML != "<p>Shipped "+idea.Title+".</p>\n" {
						t.Errorf("%s: response %q by %v", idea.Title, idea.ResponseHTML, idea.ResponseAuthor)
					}
					titles = append(titles, idea.Title)
				}
				if page.Next == "" {
					return titles
				}
				q.After = page.Next
			}
			t.Fatal("changelog pages never end")
			return nil
		}
		if got := walk(p.Staff); !reflect.DeepEqual(got, shipped) {
			t.Errorf("staff changelog %v, want %v", got, shipped)
		}
		if got, want := walk(nil), []string{"Third", "Second", "First"}; !reflect.DeepEqual(got, want) {
			t.Errorf("public changelog %v, want %v", got, want)
		}
		var ve *models.ValidationError
		if _, err := models.Changelog(ctx, db, models.ChangelogQuery{After: "garbage"}); !errors.As(err, &ve) {
			t.Errorf("bad cursor: %v", err)
		}
	})
}

func TestTriageRanksIdeasNotOnTheRoadmap(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		clock := dbtest.FixClock(db)
		p := dbtest.People(t, db)
		mobile := dbtest.Board(t, db, "mobile", false)
		voters := []*models.User{p.Ann, p.Bob, p.Staff, p.Admin}

		old := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: "Old favourite", Status: "open"})                  // 4 votes, 60 days ago
		fresh := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: "Fresh", Status: "under_review", Board: mobile}) // 2 votes, this week
		dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: "Quiet", Status: "open"})                                 // no votes
		planned := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: "Planned one", Status: "planned"})             // on the roadmap
		declined := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: "Declined one", Status: "declined"})
		for _, u := range voters {
			dbtest.Vote(t, db, old, u, clock.T.Add(-60*24*time.Hour))
			dbtest.Vote(t, db, planned, u, clock.T)
		}
		dbtest.Vote(t, db, fresh, p.Ann, clock.T.Add(-48*time.Hour))
		dbtest.Vote(t, db, fresh, p.Bob, clock.T.Add(-24*time.Hour))

		titles := func(q models.TriageQuery) ([]string, []int) {
			t.Helper()
			page, err := models.Triage(ctx, db, q)
			if err != nil {
				t.Fatal(err)
			}
			var ts []string
			var vs []int
			for _, it := range page.Items {
				ts = append(ts, it.Title)
				vs = append(vs, it.Velocity)
			}
			return ts, vs
		}
		got, vel := titles(models.TriageQuery{})
		if want := []string{"Old favourite", "Fresh", "Quiet"}; !reflect.DeepEqual(got, want) {
			t.Errorf("by votes %v, want %v", got, want)
		}
		if want := []int{0, 2, 0}; !reflect.DeepEqual(vel, want) {
			t.Errorf("velocity %v, want %v", vel, want)
		}
		if got, _ := titles(models.TriageQuery{Sort: models.SortTrending}); !reflect.DeepEqual(got, []string{"Fresh", "Old favourite", "Quiet"}) {
			t.Errorf("by trend %v", got)
		}
		if got, _ := titles(models.TriageQuery{BoardID: mobile.ID}); !reflect.DeepEqual(got, []string{"Fresh"}) {
			t.Errorf("mobile board %v", got)
		}
		if got, _ := titles(models.TriageQuery{StatusID: declined.StatusID}); !reflect.DeepEqual(got, []string{"Declined one"}) {
			t.Errorf("declined filter %v", got)
		}
		if got, _ := titles(models.TriageQuery{StatusID: planned.StatusID}); got != nil {
			t.Errorf("a roadmap status in triage: %v", got)
		}
		if got, _ := titles(models.TriageQuery{Limit: 1}); !reflect.DeepEqual(got, []string{"Old favourite"}) {
			t.Errorf("limit 1 %v", got)
		}
	})
}
