package models_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func TestFeedsOverSeededPortal(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		dbtest.FixClock(db)
		if _, err := models.Seed(ctx, db, models.SeedOptions{Users: 6, Ideas: 80, Votes: 200, Seed: 7}); err != nil {
			t.Fatal(err)
		}

		v, err := models.FeedVersion(ctx, db, models.FeedQuery{Feed: models.FeedRoadmap})
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(dbtest.Count(t, db, "SELECT max(id) FROM events")); v.EventID != want || v.At.IsZero() {
			t.Errorf("roadmap version = %+v, want event %d", v, want)
		}

		ideas, err := models.FeedEvents(ctx, db, models.FeedQuery{Feed: models.FeedIdeas})
		if err != nil {
			t.Fatal(err)
		}
		if len(ideas) != models.FeedLimit {
			t.Errorf("ideas feed has %d items, want %d", len(ideas), models.FeedLimit)
		}
		for i, it := range ideas {
			if it.Kind != models.EventIdeaCreated || it.IdeaTitle == "" || it.HTML == "" {
				t.Errorf("ideas item %d = %+v", i, it)
			}
			if i > 0 && it.EventID >= ideas[i-1].EventID {
				t.Errorf("ideas feed is not newest first at %d", i)
			}
		}

		shipped, err := models.FeedEvents(ctx, db, models.FeedQuery{Feed: models.FeedChangelog})
		if err != nil {
			t.Fatal(err)
		}
		done := dbtest.Count(t, db, "SELECT count(*) FROM ideas i JOIN statuses s ON s.id = i.status_id WHERE s.category = 'done'")
		if done == 0 || len(shipped) != min(done, models.FeedLimit) {
			t.Errorf("changelog has %d items, want %d", len(shipped), done)
		}
		for _, it := range shipped {
			if !it.Shipped || it.To != "done" || it.HTML == "" {
				t.Errorf("changelog item %+v", it)
			}
		}

		roadmap, err := models.FeedEvents(ctx, db, models.FeedQuery{Feed: models.FeedRoadmap})
		if err != nil {
			t.Fatal(err)
		}
		onRoadmap := map[string]bool{"planned": true, "in_progress": true, "done": true}
		if len(roadmap) == 0 {
			t.Error("roadmap feed is empty")
		}
		for _, it := range roadmap {
			if it.Kind != models.EventStatusChanged || !onRoadmap[it.From] && !onRoadmap[it.To] {
				t.Errorf("roadmap item %+v", it)
			}
		}

		board, err := models.FeedEvents(ctx, db, models.FeedQuery{Feed: models.FeedBoard, Board: "mobile", Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		if len(board) != 5 || board[0].BoardName != "Mobile apps" {
			t.Errorf("board feed: %d items, first %+v", len(board), board)
		}
	})
}

func TestFeedScopesNotFound(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		dbtest.Board(t, db, "staff-only", true)
		for _, q := range []models.FeedQuery{
			{Feed: "nope"},
			{Feed: models.FeedBoard},
			{Feed: models.FeedBoard, Board: "nope"},
			{Feed: models.FeedBoard, Board: "staff-only"},
			{Feed: models.FeedIdeas, Board: "staff-only"},
			{Feed: models.FeedIdeas, Status: "nope"},
			{Feed: models.FeedIdea},
			{Feed: models.FeedIdea, IdeaID: 42},
		} {
			if _, err := models.FeedVersion(ctx, db, q); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("FeedVersion(%+v) = %v, want not found", q, err)
			}
			if _, err := models.FeedEvents(ctx, db, q); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("FeedEvents(%+v) = %v, want not found", q, err)
			}
		}
		v, err := models.FeedVersion(ctx, db, models.FeedQuery{Feed: models.FeedBoard, Board: "feature-requests"})
		if err != nil || v.EventID != 0 || !v.At.IsZero() {
			t.Errorf("empty board version = %+v, %v", v, err)
		}
	})
}
