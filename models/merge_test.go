package models_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func TestMergeMovesVotersAndSubscribersExactly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		clock := dbtest.FixClock(db)
		p := dbtest.People(t, db)
		carl := dbtest.User(t, db, "Carl", "carl@example.com", models.RoleMember)
		dora := dbtest.User(t, db, "Dora", "dora@example.com", models.RoleMember)
		orig := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: "Dark mode", Status: "planned"})
		dup := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Bob, Title: "Night theme please", Status: "open"})

		t0 := clock.T.Add(-48 * time.Hour)
		dbtest.Vote(t, db, orig, p.Ann, t0)
		dbtest.Vote(t, db, orig, carl, t0.Add(time.Hour)) // votes on both
		dbtest.Vote(t, db, dup, carl, t0.Add(2*time.Hour))
		dbtest.Vote(t, db, dup, p.Bob, t0.Add(3*time.Hour))
		dbtest.Vote(t, db, dup, dora, t0.Add(4*time.Hour))
		dbtest.Follow(t, db, orig, p.Ann)
		dbtest.Follow(t, db, dup, p.Bob)
		dbtest.Follow(t, db, dup, p.Ann) // follows both
		// One comment on each, and a hidden one on the duplicate.
		var last *models.Comment
		for _, c := range []struct {
			idea   int64
			author *models.User
		}{{orig.ID, p.Ann}, {dup.ID, p.Bob}, {dup.ID, dora}} {
			var err error
			if last, err = models.CreateComment(ctx, db, models.NewComment{IdeaID: c.idea, Author: c.author, Body: "Same need here."}); err != nil {
				t.Fatal(err)
			}
		}
		if err := models.HideComment(ctx, db, dup.ID, last.ID, p.Staff); err != nil {
			t.Fatal(err)
		}

		got, err := models.MergeIdea(ctx, db, dup.ID, orig.ID, p.Staff)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != orig.ID || got.VotesCount != 4 {
			t.Errorf("original after merge: id %d, %d votes, want 4", got.ID, got.VotesCount)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM votes WHERE idea_id = ?", orig.ID); n != 4 {
			t.Errorf("%d vote rows on the original, want 4", n)
		}
		// Carl's vote on the original keeps its time; the others bring theirs.
		wantTrend := models.TrendOf([]time.Time{t0, t0.Add(time.Hour), t0.Add(3 * time.Hour), t0.Add(4 * time.Hour)})
		if math.Abs(got.TrendScore-wantTrend) > 1e-9 {
			t.Errorf("trend_score %v, want %v", got.TrendScore, wantTrend)
		}
		d := dbtest.Reload(t, db, dup.ID)
		if d.VotesCount != 0 || d.TrendScore != models.NoTrend || d.MergedIntoID == nil || *d.MergedIntoID != orig.ID || d.Status.Slug != "duplicate" {
			t.Errorf("duplicate after merge: %d votes, trend %v, merged into %v, status %q", d.VotesCount, d.TrendScore, d.MergedIntoID, d.Status.Slug)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM votes WHERE idea_id = ?", dup.ID); n != 0 {
			t.Errorf("%d vote rows left on the duplicate", n)
		}
		// The discussion continues under the original; hidden stays hidden.
		if got.CommentsCount != 2 || d.CommentsCount != 0 {
			t.Errorf("comments_count: original %d (want 2), duplicate %d (want 0)", got.CommentsCount, d.CommentsCount)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM comments WHERE idea_id = ?", orig.ID); n != 3 {
			t.Errorf("%d comment rows under the original, want 3 (one hidden)", n)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM subscriptions WHERE idea_id = ?", orig.ID); n != 3 {
			t.Errorf("%d subscribers of the original, want 3 (Ann, and Bob and Dora, who followed the duplicate)", n)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM subscriptions WHERE idea_id = ? AND user_id = ?", orig.ID, p.Bob.ID); n != 1 {
			t.Error("Bob does not follow the original")
		}

		var mp models.MergePayload
		evs := dbtest.Events(t, db, models.EventMerged, dup.ID)
		if len(evs) != 1 || evs[0].Decode(&mp) != nil || mp.IdeaID != orig.ID || mp.Title != "Dark mode" || mp.VotesMoved != 2 {
			t.Errorf("merged event on the duplicate: %+v %+v", evs, mp)
		}
		evs = dbtest.Events(t, db, models.EventMergedInto, orig.ID)
		if len(evs) != 1 || evs[0].Decode(&mp) != nil || mp.IdeaID != dup.ID || mp.Title != "Night theme please" {
			t.Errorf("merged-in event on the original: %+v %+v", evs, mp)
		}
		// A merged idea is no longer listed, and counts nowhere twice.
		if n := dbtest.Count(t, db, "SELECT coalesce(sum(votes_count), 0) FROM ideas"); n != dbtest.Count(t, db, "SELECT count(*) FROM votes") {
			t.Errorf("sum of votes_count %d differs from vote rows", n)
		}
		page, err := models.ListIdeas(ctx, db, models.IdeaQuery{Viewer: p.Ann})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Ideas) != 1 || page.Ideas[0].ID != orig.ID {
			t.Errorf("list after merge has %d ideas", len(page.Ideas))
		}
	})
}

func TestMergeRefusesSelfChainsAndCycles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		dbtest.FixClock(db)
		p := dbtest.People(t, db)
		a := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: "A", Status: "open"})
		b := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: "B", Status: "open"})
		c := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: "C", Status: "open"})
		dbtest.Vote(t, db, c, p.Bob, db.Now())

		refused := func(name string, dup, into int64, wantMsg string) {
			t.Helper()
			var ve *models.ValidationError
			_, err := models.MergeIdea(ctx, db, dup, into, p.Staff)
			if !errors.As(err, &ve) || !strings.Contains(ve.Fields["into"], wantMsg) {
				t.Errorf("%s: err %v, want a refusal saying %q", name, err, wantMsg)
			}
		}
		refused("into itself", a.ID, a.ID, "itself")
		refused("unknown original", a.ID, 999999, "no idea #999999")
		refused("no original", a.ID, 0, "number or the link")
		if _, err := models.MergeIdea(ctx, db, a.ID, b.ID, p.Ann); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("member merge: err %v", err)
		}
		if _, err := models.MergeIdea(ctx, db, 999999, b.ID, p.Staff); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown duplicate: err %v", err)
		}

		// C into A, then A into B: C now points straight at B.
		if _, err := models.MergeIdea(ctx, db, c.ID, a.ID, p.Staff); err != nil {
			t.Fatal(err)
		}
		refused("cycle", a.ID, c.ID, "cycle")
		refused("twice", c.ID, b.ID, "already merged")
		if _, err := models.MergeIdea(ctx, db, a.ID, b.ID, p.Staff); err != nil {
			t.Fatal(err)
		}
		refused("back along the pointer", b.ID, a.ID, "cycle")
		d := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Bob, Title: "D", Status: "open"})
		refused("into a duplicate", d.ID, a.ID, "is itself a duplicate of idea #")
		if got := dbtest.Reload(t, db, c.ID); got.MergedIntoID == nil || *got.MergedIntoID != b.ID {
			t.Errorf("C points at %v, want B (%d)", got.MergedIntoID, b.ID)
		}
		if got := dbtest.Reload(t, db, b.ID); got.VotesCount != 1 || got.MergedIntoID != nil {
			t.Errorf("B: %d votes, merged into %v", got.VotesCount, got.MergedIntoID)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events"); n != 4 {
			t.Errorf("%d events, want 4 (two merges)", n)
		}
	})
}
