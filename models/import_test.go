package models_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func TestImportMatchesAndCounts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		// Someone who signed in through the company's app before the import.
		known := dbtest.User(t, db, "Known", "", models.RoleMember)
		if _, err := db.Bun().NewUpdate().Table("users").Set("external_id = 'ext-7'").Where("id = ?", known.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		day := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
		set := &models.ImportSet{
			Source: "test",
			People: []models.ImportPerson{
				{Key: "p1", Name: "By id", ExternalID: "ext-7", CreatedAt: day},
				{Key: "p2", Name: "", Email: "new@example.com", CreatedAt: day},
			},
			// A board named like the default one is the default one.
			Boards: []models.ImportBoard{{Key: "b1", Slug: "", Name: "Feature Requests"}, {Key: "b2", Slug: "Ünïcode Board!", Name: "Ünïcode"}},
			Ideas: []models.ImportIdea{
				{Key: "i1", BoardKey: "b1", AuthorKey: "p1", Title: "One", Status: "planned", CreatedAt: day},
				{Key: "i2", BoardKey: "b2", AuthorKey: "p2", Title: "Two", Status: "open", CreatedAt: day},
			},
			Votes: []models.ImportVote{
				{IdeaKey: "i1", PersonKey: "p1", CreatedAt: day},
				{IdeaKey: "i1", PersonKey: "p2", CreatedAt: day.Add(time.Hour)},
			},
			Comments: []models.ImportComment{{Key: "c1", IdeaKey: "i1", AuthorKey: "p2", Body: "Yes", CreatedAt: day.Add(48 * time.Hour)}},
		}
		rep, err := models.Import(ctx, db, set)
		if err != nil {
			t.Fatal(err)
		}
		if rep.People != 1 || rep.PeopleMatched != 1 || rep.Boards != 1 || rep.BoardsMatched != 1 || rep.Ideas != 2 || rep.Votes != 2 || rep.Comments != 1 {
			t.Errorf("report: %+v", rep)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM votes WHERE user_id = ?", known.ID); n != 1 {
			t.Errorf("the person matched by external id has %d votes, want 1", n)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM boards WHERE slug = 'n-code-board'"); n != 1 {
			t.Error("a slug of non-ASCII letters was not made safe")
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM users WHERE email = 'new@example.com' AND name = 'Anonymous' AND NOT email_verified"); n != 1 {
			t.Error("the new person is not stored as expected")
		}
		var one models.Idea
		if err := db.Bun().NewSelect().Model(&one).Where("title = 'One'").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		trend := models.TrendOf([]time.Time{day, day.Add(time.Hour)})
		if one.VotesCount != 2 || one.CommentsCount != 1 || math.Abs(one.TrendScore-trend) > 1e-9 || !one.LastActivityAt.Equal(day.Add(48*time.Hour)) || one.RoadmapPosition == 0 {
			t.Errorf("idea One: votes %d comments %d trend %v (want %v) last activity %v roadmap %v",
				one.VotesCount, one.CommentsCount, one.TrendScore, trend, one.LastActivityAt, one.RoadmapPosition)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM jobs"); n != 0 {
			t.Errorf("the import enqueued %d jobs", n)
		}

		// One bad reference and nothing of the set is written, not even
		// the people and boards before it.
		bad := &models.ImportSet{
			Source: "test",
			People: []models.ImportPerson{{Key: "p3", Email: "third@example.com", CreatedAt: day}},
			Boards: []models.ImportBoard{{Key: "b3", Name: "Third"}},
			Votes:  []models.ImportVote{{IdeaKey: "nope", PersonKey: "p3", CreatedAt: day}},
		}
		before := dbtest.Count(t, db, "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM boards) + (SELECT count(*) FROM import_keys)")
		if _, err := models.Import(ctx, db, bad); err == nil || !strings.Contains(err.Error(), "unknown idea") {
			t.Fatalf("bad set: %v", err)
		}
		if after := dbtest.Count(t, db, "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM boards) + (SELECT count(*) FROM import_keys)"); after != before {
			t.Errorf("a failed import left rows: %d, then %d", before, after)
		}

		// Again: all known.
		rep, err = models.Import(ctx, db, set)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Changed() || rep.PeopleKnown != 2 || rep.IdeasKnown != 2 || rep.VotesKnown != 2 || rep.CommentsKnown != 1 {
			t.Errorf("second run: %+v", rep)
		}
	})
}
