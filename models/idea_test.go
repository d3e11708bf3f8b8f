package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func TestCreateIdea(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		dbtest.FixClock(db)
		ada := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleMember)
		idea := dbtest.PostIdea(t, db, ada, "  Dark   mode\tfor reports ", "Please add **dark** mode.\r\n\n<script>alert(1)</script>")

		if idea.Title != "Dark mode for reports" || idea.Slug != "dark-mode-for-reports" {
			t.Errorf("title %q slug %q", idea.Title, idea.Slug)
		}
		got, err := models.IdeaByID(ctx, db, idea.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status.Slug != "open" || got.Board.Slug != "feature-requests" || got.Author.ID != ada.ID {
			t.Errorf("status %s board %s author %d", got.Status.Slug, got.Board.Slug, got.Author.ID)
		}
		if !strings.Contains(got.BodyHTML, "<strong>dark</strong>") || strings.Contains(got.BodyHTML, "<script") {
			t.Errorf("body_html = %q", got.BodyHTML)
		}
		if got.Summary != "Please add dark mode." || idea.Summary != got.Summary {
			t.Errorf("summary = %q (returned %q), want %q", got.Summary, idea.Summary, "Please add dark mode.")
		}
		if got.TrendScore != models.NoTrend || got.VotesCount != 0 || !got.CreatedAt.Equal(dbtest.Fixed) {
			t.Errorf("trend %v votes %d created %v", got.TrendScore, got.VotesCount, got.CreatedAt)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE kind = ? AND idea_id = ? AND actor_id = ?", models.EventIdeaCreated, idea.ID, ada.ID); n != 1 {
			t.Errorf("%d creation events, want 1", n)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM subscriptions WHERE idea_id = ? AND user_id = ?", idea.ID, ada.ID); n != 1 {
			t.Errorf("author subscriptions = %d, want 1", n)
		}
	})
}

func TestCreateIdeaValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		ada := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleMember)
		dbtest.Board(t, db, "internal", true)
		cases := []struct {
			name   string
			in     models.NewIdea
			fields []string
		}{
			{"empty", models.NewIdea{Board: "feature-requests"}, []string{"title"}},
			{"short title", models.NewIdea{Board: "feature-requests", Title: " ab "}, []string{"title"}},
			{"long title", models.NewIdea{Board: "feature-requests", Title: strings.Repeat("é", 121)}, []string{"title"}},
			{"long body", models.NewIdea{Board: "feature-requests", Title: "Fine", Body: strings.Repeat("x", 10001)}, []string{"body"}},
			{"no board", models.NewIdea{Title: "Fine"}, []string{"board"}},
			{"unknown board", models.NewIdea{Title: "Fine", Board: "nope"}, []string{"board"}},
			{"private board", models.NewIdea{Title: "Fine", Board: "internal"}, []string{"board"}},
			{"everything", models.NewIdea{Title: "x", Body: strings.Repeat("x", 10001), Board: "nope"}, []string{"body", "board", "title"}},
		}
		for _, c := range cases {
			c.in.Author = ada
			_, err := models.CreateIdea(ctx, db, c.in)
			var ve *models.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("%s: err = %v, want a ValidationError", c.name, err)
				continue
			}
			if len(ve.Fields) != len(c.fields) {
				t.Errorf("%s: fields %v, want %v", c.name, ve.Fields, c.fields)
			}
			for _, f := range c.fields {
				if ve.Fields[f] == "" {
					t.Errorf("%s: no message for %s", c.name, f)
				}
			}
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM ideas"); n != 0 {
			t.Errorf("%d ideas stored after failures", n)
		}
		// The limits themselves are allowed; staff may post on private boards.
		dbtest.PostIdea(t, db, ada, strings.Repeat("é", 120), strings.Repeat("x", 10000))
		staff := dbtest.User(t, db, "Sam", "sam@example.com", models.RoleStaff)
		if _, err := models.CreateIdea(ctx, db, models.NewIdea{Author: staff, Board: "internal", Title: "Staff only"}); err != nil {
			t.Errorf("staff on private board: %v", err)
		}
		blocked := dbtest.User(t, db, "Bo", "bo@example.com", models.RoleMember)
		now := db.Now()
		blocked.BlockedAt = &now
		if _, err := models.CreateIdea(ctx, db, models.NewIdea{Author: blocked, Board: "feature-requests", Title: "Blocked"}); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("blocked author: err = %v, want ErrForbidden", err)
		}
	})
}

func TestCreateIdeaStoresHostileTextSafely(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ada := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleMember)
		idea := dbtest.PostIdea(t, db, ada, "Nul\x00 byte and \xff bad UTF-8", "body\x00with nul")
		if strings.ContainsRune(idea.Title, 0) || strings.ContainsRune(idea.Body, 0) {
			t.Errorf("NUL kept: %q %q", idea.Title, idea.Body)
		}
	})
}
