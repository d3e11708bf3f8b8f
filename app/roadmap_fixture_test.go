package app

import (
	"context"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
)

// roadmapIdea inserts an idea on the board (by slug) in the status,
// directly, so these tests do not depend on the idea handlers.
func roadmapIdea(t *testing.T, db *models.DB, author *models.User, title, status, board string) *models.Idea {
	t.Helper()
	ctx := context.Background()
	st, err := models.StatusBySlug(ctx, db, status)
	if err != nil {
		t.Fatal(err)
	}
	b := new(models.Board)
	if err := db.Bun().NewSelect().Model(b).Where("slug = ?", board).Scan(ctx); err != nil {
		b = &models.Board{Slug: board, Name: board, IsPrivate: board == "internal", CreatedAt: db.Now()}
		if _, err := db.Bun().NewInsert().Model(b).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	now := db.Now()
	idea := &models.Idea{
		BoardID: b.ID, AuthorID: author.ID, Title: title, Slug: models.Slugify(title),
		Body: "About " + title, BodyHTML: "<p>About " + title + "</p>",
		Summary: "About " + title, StatusID: st.ID,
		TrendScore: models.NoTrend, CreatedAt: now, UpdatedAt: now, LastActivityAt: now,
	}
	if _, err := db.Bun().NewInsert().Model(idea).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	return idea
}

// roadmapVote records a vote, keeping the idea's counters exact.
func roadmapVote(t *testing.T, db *models.DB, idea *models.Idea, u *models.User, at time.Time) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.Bun().NewInsert().Model(&models.Vote{IdeaID: idea.ID, UserID: u.ID, CreatedAt: at}).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	cur := new(models.Idea)
	if err := db.Bun().NewSelect().Model(cur).Where("id = ?", idea.ID).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := db.Bun().NewUpdate().Model(cur).WherePK().Set("votes_count = votes_count + 1").
		Set("trend_score = ?", models.AddTrend(cur.TrendScore, at)).Exec(ctx)
	if err != nil {
		t.Fatal(err)
	}
}
