package models_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func TestCreateBoard(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		p := dbtest.People(t, db)
		b, err := models.CreateBoard(ctx, db, models.BoardInput{Name: "  Mobile   apps ", Description: "iOS and Android\r\n", IsPrivate: true}, p.Admin)
		if err != nil {
			t.Fatal(err)
		}
		if b.Name != "Mobile apps" || b.Slug != "mobile-apps" || b.Description != "iOS and Android" || !b.IsPrivate || b.Position != 2 {
			t.Errorf("created %+v", b)
		}
		b2, err := models.CreateBoard(ctx, db, models.BoardInput{Name: "API", Slug: "public-api"}, p.Admin)
		if err != nil {
			t.Fatal(err)
		}
		if b2.Slug != "public-api" || b2.Position != 3 || b2.IsPrivate {
			t.Errorf("second board %+v", b2)
		}
		evs := dbtest.Events(t, db, models.EventBoardCreated, 0)
		if len(evs) != 2 || evs[0].IdeaID != nil || evs[0].BoardID == nil || *evs[0].BoardID != b.ID || *evs[0].ActorID != p.Admin.ID {
			t.Fatalf("board.created events %+v", evs)
		}
		var pl models.BoardPayload
		if err := evs[0].Decode(&pl); err != nil || pl.Slug != "mobile-apps" || !pl.IsPrivate {
			t.Errorf("payload %+v, %v", pl, err)
		}
		for _, u := range []*models.User{p.Staff, p.Ann, nil} {
			if _, err := models.CreateBoard(ctx, db, models.BoardInput{Name: "Sneaky"}, u); !errors.Is(err, models.ErrForbidden) {
				t.Errorf("CreateBoard by %v = %v, want forbidden", u, err)
			}
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM boards"); n != 3 {
			t.Errorf("%d boards, want 3", n)
		}
	})
}

func TestBoardValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		p := dbtest.People(t, db)
		long := strings.Repeat("é", models.BoardNameMaxRunes+1)
		for _, tc := range []struct {
			in     models.BoardInput
			fields []string
			says   string
		}{
			{models.BoardInput{Name: ""}, []string{"name"}, "Give the board a name."},
			{models.BoardInput{Name: "A"}, []string{"name"}, "at least 2"},
			{models.BoardInput{Name: long, Slug: "ok"}, []string{"name"}, "80 characters or fewer (it has 81)"},
			{models.BoardInput{Name: "Feature requests"}, []string{"slug"}, `Another board already uses "feature-requests".`},
			{models.BoardInput{Name: "Other", Slug: "Feature-Requests"}, []string{"slug"}, "already uses"},
			{models.BoardInput{Name: "Other", Slug: "no spaces"}, []string{"slug"}, "lower-case letters"},
			{models.BoardInput{Name: "Other", Slug: "a--b"}, []string{"slug"}, "single dashes"},
			{models.BoardInput{Name: "Other", Slug: "-a"}, []string{"slug"}, "single dashes"},
			{models.BoardInput{Name: "Other", Slug: "../x"}, []string{"slug"}, "lower-case letters"},
			{models.BoardInput{Name: "Other", Slug: strings.Repeat("a", 81)}, []string{"slug"}, "80 characters"},
			{models.BoardInput{Name: "Café"}, []string{"slug"}, "does not make a usable slug"},
			{models.BoardInput{Name: "Other", Description: strings.Repeat("x", 501)}, []string{"description"}, "500 characters or fewer (it has 501)"},
			{models.BoardInput{Name: "Other", Position: "first"}, []string{"position"}, "whole number"},
			{models.BoardInput{Name: "Other", Position: "-1"}, []string{"position"}, "whole number"},
			{models.BoardInput{Name: "x", Slug: "Bad slug", Description: strings.Repeat("x", 501)}, []string{"description", "name", "slug"}, ""},
		} {
			_, err := models.CreateBoard(ctx, db, tc.in, p.Admin)
			var ve *models.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("CreateBoard(%+v) = %v, want a validation error", tc.in, err)
				continue
			}
			var got []string
			for k := range ve.Fields {
				got = append(got, k)
			}
			sort.Strings(got)
			if !reflect.DeepEqual(got, tc.fields) {
				t.Errorf("CreateBoard(%+v) fields %v, want %v", tc.in, got, tc.fields)
			}
			if tc.says != "" && !strings.Contains(ve.Fields[tc.fields[0]], tc.says) {
				t.Errorf("CreateBoard(%+v): %q lacks %q", tc.in, ve.Fields[tc.fields[0]], tc.says)
			}
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM boards"); n != 1 {
			t.Errorf("%d boards after refusals, want 1", n)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events"); n != 0 {
			t.Errorf("%d events after refusals", n)
		}
	})
}

func TestUpdateBoard(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		p := dbtest.People(t, db)
		fr := dbtest.Board(t, db, "feature-requests", false).ID
		idea := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: "Dark mode", Status: "open"})
		other, err := models.CreateBoard(ctx, db, models.BoardInput{Name: "Integrations"}, p.Admin)
		if err != nil {
			t.Fatal(err)
		}
		base := models.BoardInput{Name: "Feature requests", Slug: "feature-requests",
			Description: "Ideas for making the product better. Vote for what matters to you.", Position: "1"}

		// Saving the form unchanged keeps its own slug and records nothing.
		if _, err := models.UpdateBoard(ctx, db, fr, base, p.Admin); err != nil {
			t.Fatal(err)
		}
		if n := len(dbtest.Events(t, db, models.EventBoardUpdated, 0)); n != 0 {
			t.Errorf("%d board.updated events for an update that changed nothing", n)
		}

		// Making it private is one board event and no idea event.
		in := base
		in.IsPrivate, in.Position = true, ""
		b, err := models.UpdateBoard(ctx, db, fr, in, p.Admin)
		if err != nil {
			t.Fatal(err)
		}
		if !b.IsPrivate || b.Position != 1 {
			t.Errorf("updated %+v; a blank position should keep 1", b)
		}
		evs := dbtest.Events(t, db, models.EventBoardUpdated, 0)
		if len(evs) != 1 || evs[0].IdeaID != nil || *evs[0].BoardID != fr {
			t.Fatalf("board.updated events %+v", evs)
		}
		var pl models.BoardPayload
		if err := evs[0].Decode(&pl); err != nil || !reflect.DeepEqual(pl.Changed, []string{"is_private"}) || !pl.IsPrivate {
			t.Errorf("payload %+v, %v", pl, err)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE idea_id IS NOT NULL"); n != 0 {
			t.Errorf("%d idea events after making a board private", n)
		}
		if _, err := models.IdeaByID(ctx, db, idea.ID, p.Ann); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("a member still sees an idea on a private board: %v", err)
		}

		// Renamed, moved and reslugged; a slug in use elsewhere is refused.
		in = models.BoardInput{Name: "Requests", Slug: "requests", Description: "New words", Position: "5"}
		if b, err = models.UpdateBoard(ctx, db, fr, in, p.Admin); err != nil {
			t.Fatal(err)
		}
		if b.Name != "Requests" || b.Slug != "requests" || b.Description != "New words" || b.Position != 5 || b.IsPrivate {
			t.Errorf("updated %+v", b)
		}
		in.Slug = other.Slug
		var ve *models.ValidationError
		if _, err := models.UpdateBoard(ctx, db, fr, in, p.Admin); !errors.As(err, &ve) || !strings.Contains(ve.Fields["slug"], "already uses") {
			t.Errorf("taking another board's slug: %v", err)
		}
		if _, err := models.UpdateBoard(ctx, db, 99999, base, p.Admin); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown board: %v", err)
		}
		if _, err := models.UpdateBoard(ctx, db, fr, base, p.Staff); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("staff updating a board: %v", err)
		}
		if n := len(dbtest.Events(t, db, models.EventBoardUpdated, 0)); n != 2 {
			t.Errorf("%d board.updated events, want 2", n)
		}
	})
}

func TestBoardSummariesCountListedIdeas(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		p := dbtest.People(t, db)
		fr := dbtest.Board(t, db, "feature-requests", false)
		internal := dbtest.Board(t, db, "internal", true)
		dbtest.Board(t, db, "empty", false)
		dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: "One", Status: "open", Board: fr})
		dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: "Two", Status: "planned", Board: fr})
		hidden := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Ann, Title: "Spam", Status: "open", Board: fr})
		if err := models.HideIdea(ctx, db, hidden.ID, p.Staff, true); err != nil {
			t.Fatal(err)
		}
		dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Staff, Title: "Secret", Status: "open", Board: internal})
		list, err := models.BoardSummaries(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range list {
			got = append(got, fmt.Sprintf("%s:%d:%v", s.Slug, s.IdeasCount, s.IsPrivate))
		}
		want := []string{"internal:1:true", "empty:0:false", "feature-requests:2:false"}
		// Position 0 (the fixtures) sorts before the default board's 1.
		if !reflect.DeepEqual(got, want) {
			t.Errorf("summaries %v, want %v", got, want)
		}
	})
}

// A board event has a board and no idea: every feed reads it for its
// version without error, and none lists it as an item.
func TestFeedsTakeBoardEventsAsVersionsOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		p := dbtest.People(t, db)
		idea, err := models.CreateIdea(ctx, db, models.NewIdea{Author: p.Ann, Board: "feature-requests", Title: "Dark mode"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.ChangeStatus(ctx, db, idea.ID, p.Staff, "done", "Shipped."); err != nil {
			t.Fatal(err)
		}
		b, err := models.BoardBySlug(ctx, db, "feature-requests", nil)
		if err != nil {
			t.Fatal(err)
		}
		feeds := []models.FeedQuery{
			{Feed: models.FeedRoadmap}, {Feed: models.FeedIdeas}, {Feed: models.FeedChangelog},
			{Feed: models.FeedIdeas, Board: "feature-requests"}, {Feed: models.FeedBoard, Board: "feature-requests"},
		}
		items := map[string]int{}
		for _, q := range feeds {
			list, err := models.FeedEvents(ctx, db, q)
			if err != nil {
				t.Fatal(err)
			}
			items[q.Feed+q.Board] = len(list)
		}

		in := models.BoardInput{Name: "Requests", Slug: b.Slug, Description: b.Description}
		if _, err := models.UpdateBoard(ctx, db, b.ID, in, p.Admin); err != nil {
			t.Fatal(err)
		}
		ev := dbtest.Events(t, db, models.EventBoardUpdated, 0)[0]
		for _, q := range feeds {
			v, err := models.FeedVersion(ctx, db, q)
			if err != nil || v.EventID != ev.ID {
				t.Errorf("FeedVersion(%+v) = %+v, %v; want the board event %d", q, v, err, ev.ID)
			}
			list, err := models.FeedEvents(ctx, db, q)
			if err != nil {
				t.Fatalf("FeedEvents(%+v): %v", q, err)
			}
			if len(list) != items[q.Feed+q.Board] {
				t.Errorf("FeedEvents(%+v): %d items, was %d", q, len(list), items[q.Feed+q.Board])
			}
			for _, it := range list {
				if it.EventID == ev.ID || it.IdeaID == 0 || it.BoardName != "Requests" {
					t.Errorf("FeedEvents(%+v) item %+v", q, it)
				}
			}
		}
		// The idea's own feed never sees board events.
		v, err := models.FeedVersion(ctx, db, models.FeedQuery{Feed: models.FeedIdea, IdeaID: idea.ID})
		if err != nil || v.EventID == ev.ID {
			t.Errorf("idea feed version %+v, %v", v, err)
		}

		// Private now: the global feeds move on and drop the board's items;
		// the board's own feeds are gone.
		in.IsPrivate = true
		if _, err := models.UpdateBoard(ctx, db, b.ID, in, p.Admin); err != nil {
			t.Fatal(err)
		}
		for _, q := range feeds[:3] {
			v, err := models.FeedVersion(ctx, db, q)
			if err != nil || v.EventID <= ev.ID {
				t.Errorf("FeedVersion(%+v) = %+v, %v after making the board private", q, v, err)
			}
			if list, err := models.FeedEvents(ctx, db, q); err != nil || len(list) != 0 {
				t.Errorf("FeedEvents(%+v) = %d items, %v after making the board private", q, len(list), err)
			}
		}
		for _, q := range feeds[3:] {
			if _, err := models.FeedVersion(ctx, db, q); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("FeedVersion(%+v) = %v, want not found", q, err)
			}
		}
	})
}
