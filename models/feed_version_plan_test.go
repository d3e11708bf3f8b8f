package models_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// A feed's version is what a conditional GET costs: one query, in which the
// newest public event is found by descending an index, even when the newest
// events by far are private ones the version must step over.
func TestFeedVersionDescendsAnIndex(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		if _, err := models.Seed(ctx, db, models.SeedOptions{Users: 20, Ideas: 200, Votes: 500, Seed: 2}); err != nil {
			t.Fatal(err)
		}
		p := dbtest.People(t, db)
		secret := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Staff, Title: "Acquire a competitor", Board: dbtest.Board(t, db, "secret", true)})
		_, err := db.Bun().Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
			INSERT INTO events (kind, idea_id, board_id, actor_id, payload, created_at)
			SELECT ?, ?, ?, ?, '{}', ? FROM n`, models.EventCommented, secret.ID, secret.BoardID, p.Staff.ID, db.Now())
		if err != nil {
			t.Fatal(err)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE is_public = ?", false); n != 3000 {
			t.Fatalf("%d private events, want 3000", n)
		}
		if _, err := db.Bun().Exec("ANALYZE"); err != nil {
			t.Fatal(err)
		}
		// A board's version may come from the board's index of public
		// events or, as PostgreSQL's planner likes when the board has most
		// of them, from the index of all public events; either way no
		// private event is stepped over.
		board := []string{"events_board_public_idx", "events_public_idx"}
		for _, tc := range []struct {
			q       models.FeedQuery
			indexes []string
		}{
			{models.FeedQuery{Feed: models.FeedRoadmap}, []string{"events_public_idx"}},
			{models.FeedQuery{Feed: models.FeedChangelog}, []string{"events_public_idx"}},
			{models.FeedQuery{Feed: models.FeedIdeas, Status: "open"}, []string{"events_public_idx"}},
			{models.FeedQuery{Feed: models.FeedIdeas, Board: "feature-requests"}, board},
			{models.FeedQuery{Feed: models.FeedBoard, Board: "feature-requests"}, board},
			{models.FeedQuery{Feed: models.FeedIdea, IdeaID: 1}, []string{"events_idea_idx"}},
		} {
			plans := planOf(t, db, func(ctx context.Context, db *models.DB) {
				if _, err := models.FeedVersion(ctx, db, tc.q); err != nil {
					t.Fatal(err)
				}
			})
			if len(plans) != 1 {
				t.Fatalf("%+v: %d queries, want 1", tc.q, len(plans))
			}
			for query, plan := range plans {
				used := false
				for _, index := range tc.indexes {
					used = used || strings.Contains(plan, index)
				}
				if !used {
					t.Errorf("%+v uses none of %v\nquery: %s\nplan:\n%s", tc.q, tc.indexes, query, plan)
				}
				for _, line := range strings.Split(plan, "\n") {
					line = strings.TrimSpace(line)
					if strings.Contains(line, "Seq Scan on events") || line == "SEARCH events" || strings.HasPrefix(line, "SCAN events") ||
						strings.HasPrefix(line, "Filter:") && strings.Contains(line, "is_public") {
						t.Errorf("%+v reads the events table: %s\nquery: %s\nplan:\n%s", tc.q, line, query, plan)
					}
				}
			}
		}
	})
}
