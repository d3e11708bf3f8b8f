package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func TestChangeStatusWritesResponseAndEvent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		clock := dbtest.FixClock(db)
		p := dbtest.People(t, db)
		first := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: "Already planned", Status: "open"})
		idea := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: "Dark mode", Status: "open"})
		if _, err := models.ChangeStatus(ctx, db, first.ID, p.Staff, "planned", ""); err != nil {
			t.Fatal(err)
		}

		clock.Advance(time.Hour)
		got, err := models.ChangeStatus(ctx, db, idea.ID, p.Staff, "planned", "  We are **on it**.  ")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status.Slug != "planned" || got.Response != "We are **on it**." || !strings.Contains(got.ResponseHTML, "<strong>on it</strong>") {
			t.Errorf("idea after change: status %q, response %q, html %q", got.Status.Slug, got.Response, got.ResponseHTML)
		}
		if got.ResponseAuthor == nil || got.ResponseAuthor.ID != p.Staff.ID || got.RespondedAt == nil || !got.RespondedAt.Equal(clock.T) {
			t.Errorf("response badge: author %v, at %v", got.ResponseAuthor, got.RespondedAt)
		}
		if !got.UpdatedAt.Equal(clock.T) || !got.LastActivityAt.Equal(clock.T) {
			t.Errorf("updated_at %v, last_activity_at %v, want %v", got.UpdatedAt, got.LastActivityAt, clock.T)
		}
		if first := dbtest.Reload(t, db, first.ID); got.RoadmapPosition <= first.RoadmapPosition {
			t.Errorf("new card at position %v, not after the column's last card at %v", got.RoadmapPosition, first.RoadmapPosition)
		}
		evs := dbtest.Events(t, db, models.EventStatusChanged, idea.ID)
		if len(evs) != 1 {
			t.Fatalf("%d status events, want 1", len(evs))
		}
		var sc models.StatusChange
		if err := evs[0].Decode(&sc); err != nil {
			t.Fatal(err)
		}
		want := models.StatusChange{From: "open", To: "planned", ToName: "Planned", Response: "We are **on it**.", ResponseHTML: got.ResponseHTML}
		if sc != want || *evs[0].ActorID != p.Staff.ID || !evs[0].CreatedAt.Equal(clock.T) {
			t.Errorf("event payload %+v by %d at %v, want %+v", sc, *evs[0].ActorID, evs[0].CreatedAt, want)
		}

		// Shipping without a new response keeps the last one on the idea;
		// the idea stops taking votes.
		clock.Advance(time.Hour)
		got, err = models.ChangeStatus(ctx, db, idea.ID, p.Admin, "done", "")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status.Slug != "done" || got.Response != "We are **on it**." || got.ResponseAuthor.ID != p.Staff.ID {
			t.Errorf("after done: status %q, response %q by %d", got.Status.Slug, got.Response, got.ResponseAuthor.ID)
		}
		if got.Status.TakesVotes() {
			t.Error("an idea that is done still takes votes")
		}
		if open := dbtest.Reload(t, db, first.ID); !open.Status.TakesVotes() {
			t.Error("a planned idea takes no votes")
		}
		// Neither a new status nor a response: nothing is written.
		if _, err := models.ChangeStatus(ctx, db, idea.ID, p.Staff, "done", "   "); err != nil {
			t.Fatal(err)
		}
		if n := len(dbtest.Events(t, db, models.EventStatusChanged, idea.ID)); n != 2 {
			t.Errorf("%d status events, want 2", n)
		}
	})
}

func TestChangeStatusRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		dbtest.FixClock(db)
		p := dbtest.People(t, db)
		idea := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: "Export CSV", Status: "open"})

		var ve *models.ValidationError
		for _, slug := range []string{"nope", "", "duplicate"} {
			if _, err := models.ChangeStatus(ctx, db, idea.ID, p.Staff, slug, "x"); !errors.As(err, &ve) || ve.Fields["status"] == "" {
				t.Errorf("status %q: err %v, want a validation error on status", slug, err)
			}
		}
		if _, err := models.ChangeStatus(ctx, db, idea.ID, p.Staff, "planned", strings.Repeat("a", models.MaxResponseLength+1)); !errors.As(err, &ve) || ve.Fields["response"] == "" {
			t.Errorf("long response: err %v", err)
		}
		if _, err := models.ChangeStatus(ctx, db, idea.ID, p.Ann, "planned", ""); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("member: err %v, want ErrForbidden", err)
		}
		if _, err := models.ChangeStatus(ctx, db, 999999, p.Staff, "planned", ""); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown idea: err %v, want ErrNotFound", err)
		}
		if got := dbtest.Reload(t, db, idea.ID); got.Status.Slug != "open" || got.Response != "" {
			t.Errorf("refused changes changed the idea: %q %q", got.Status.Slug, got.Response)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events"); n != 0 {
			t.Errorf("%d events after refusals", n)
		}
	})
}

// A failure after the idea was updated, inside the transaction, leaves
// neither the change nor an event behind.
func TestChangeStatusIsOneTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		dbtest.FixClock(db)
		p := dbtest.People(t, db)
		idea := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: "Webhooks", Status: "open"})
		before := dbtest.Reload(t, db, idea.ID)

		// The event insert is the last write of the transaction: without
		// its table it fails after the idea row was updated.
		if _, err := db.Bun().Exec("ALTER TABLE events RENAME TO events_away"); err != nil {
			t.Fatal(err)
		}
		_, err := models.ChangeStatus(ctx, db, idea.ID, p.Staff, "planned", "Coming soon.")
		if _, rerr := db.Bun().Exec("ALTER TABLE events_away RENAME TO events"); rerr != nil {
			t.Fatal(rerr)
		}
		if err == nil {
			t.Fatal("status change succeeded without an events table")
		}
		after := dbtest.Reload(t, db, idea.ID)
		if after.StatusID != before.StatusID || after.Response != "" || after.ResponseAuthorID != nil ||
			after.RespondedAt != nil || after.RoadmapPosition != before.RoadmapPosition || !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Errorf("a failed status change left the idea changed: %+v", after)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events"); n != 0 {
			t.Errorf("%d events after a failed change", n)
		}
		// And the same change goes through once the table is back.
		if _, err := models.ChangeStatus(ctx, db, idea.ID, p.Staff, "planned", "Coming soon."); err != nil {
			t.Fatal(err)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE kind = ?", models.EventStatusChanged); n != 1 {
			t.Errorf("%d events, want 1", n)
		}
	})
}
