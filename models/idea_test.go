package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

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

// TestHostileTextIsStoredClean feeds NUL bytes and invalid UTF-8 to every
// kind of user text and reads back what was stored: valid UTF-8 without NUL,
// the bad bytes replaced and the NULs gone. (PostgreSQL refuses such text
// outright; SQLite would keep it.) Each input has a run of bad bytes, which
// cleaning turns into one replacement character.
func TestHostileTextIsStoredClean(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		p := dbtest.People(t, db)
		const (
			title       = "Nul\x00 byte and \xff\xfe bad UTF-8"
			body        = "body\x00with nul and \xed\xa0\x80 broken"
			comment     = "Me\x00 too \xfe\xff"
			boardName   = "Mobile\x00 \xff\xffapps"
			description = "For\x00 phones \xe2\x82"
		)
		for _, in := range []string{title, body, comment, boardName, description} {
			if utf8.ValidString(in) || !strings.ContainsRune(in, 0) {
				t.Fatalf("the input %q should hold invalid UTF-8 and a NUL", in)
			}
		}

		idea := dbtest.PostIdea(t, db, p.Ann, title, body)
		stored := dbtest.Reload(t, db, idea.ID)
		wantCleanText(t, "title", stored.Title, "Nul byte and \uFFFD bad UTF-8")
		wantCleanText(t, "body", stored.Body, "bodywith nul and \uFFFD broken")
		wantCleanText(t, "body_html", stored.BodyHTML, "<p>bodywith nul and \uFFFD broken</p>\n")
		wantCleanText(t, "summary", stored.Summary, "bodywith nul and \uFFFD broken")
		wantCleanText(t, "slug", stored.Slug, "nul-byte-and-bad-utf-8")

		c, err := models.CreateComment(ctx, db, models.NewComment{IdeaID: idea.ID, Author: p.Bob, Body: comment})
		if err != nil {
			t.Fatal(err)
		}
		comments, err := models.IdeaComments(ctx, db, idea.ID, p.Staff)
		if err != nil || len(comments) != 1 || comments[0].ID != c.ID {
			t.Fatalf("comments %+v, %v", comments, err)
		}
		wantCleanText(t, "comment body", comments[0].Body, "Me too \uFFFD")
		wantCleanText(t, "comment body_html", comments[0].BodyHTML, "<p>Me too \uFFFD</p>\n")

		b, err := models.CreateBoard(ctx, db, models.BoardInput{Name: boardName, Slug: "mobile", Description: description}, p.Admin)
		if err != nil {
			t.Fatal(err)
		}
		stb, err := models.BoardByID(ctx, db, b.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		wantCleanText(t, "board name", stb.Name, "Mobile \uFFFDapps")
		wantCleanText(t, "board description", stb.Description, "For phones \uFFFD")
	})
}

// wantCleanText fails unless got is valid UTF-8 without NUL and is want.
func wantCleanText(t *testing.T, what, got, want string) {
	t.Helper()
	if !utf8.ValidString(got) || strings.ContainsRune(got, 0) {
		t.Errorf("stored %s %q is not clean UTF-8", what, got)
	}
	if got != want {
		t.Errorf("stored %s = %q, want %q", what, got, want)
	}
}
