package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// Small fixtures that write rows directly, keeping every counter exact, so
// these tests do not depend on the idea and vote handlers.

// boardID returns the id of the board with the slug, creating a board when
// it does not exist yet.
func boardID(t *testing.T, db *models.DB, slug string, private bool) int64 {
	t.Helper()
	ctx := context.Background()
	b := new(models.Board)
	if err := db.Bun().NewSelect().Model(b).Where("slug = ?", slug).Scan(ctx); err == nil {
		return b.ID
	}
	b = &models.Board{Slug: slug, Name: slug, IsPrivate: private, CreatedAt: db.Now()}
	if _, err := db.Bun().NewInsert().Model(b).Exec(ctx); err != nil {
		t.Fatalf("insert board: %v", err)
	}
	return b.ID
}

// newIdea inserts an idea in the status on the board.
func newIdea(t *testing.T, db *models.DB, author *models.User, title, status string, board int64) *models.Idea {
	t.Helper()
	ctx := context.Background()
	st, err := models.StatusBySlug(ctx, db, status)
	if err != nil {
		t.Fatal(err)
	}
	now := db.Now()
	idea := &models.Idea{
		BoardID: board, AuthorID: author.ID, Title: title, Slug: models.Slugify(title),
		Body: "About " + title, BodyHTML: "<p>About " + title + "</p>",
		Summary: "About " + title, StatusID: st.ID,
		TrendScore: models.NoTrend, CreatedAt: now, UpdatedAt: now, LastActivityAt: now,
	}
	if _, err := db.Bun().NewInsert().Model(idea).Exec(ctx); err != nil {
		t.Fatalf("insert idea: %v", err)
	}
	return idea
}

// addVote records a vote cast at the time and keeps votes_count and
// trend_score exact.
func addVote(t *testing.T, db *models.DB, ideaID int64, u *models.User, at time.Time) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.Bun().NewInsert().Model(&models.Vote{IdeaID: ideaID, UserID: u.ID, CreatedAt: at}).Exec(ctx); err != nil {
		t.Fatalf("insert vote: %v", err)
	}
	idea := new(models.Idea)
	if err := db.Bun().NewSelect().Model(idea).Where("id = ?", ideaID).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := db.Bun().NewUpdate().Model(idea).WherePK().
		Set("votes_count = votes_count + 1").
		Set("trend_score = ?", models.AddTrend(idea.TrendScore, at)).Exec(ctx)
	if err != nil {
		t.Fatal(err)
	}
}

// subscribe makes the user follow the idea.
func subscribe(t *testing.T, db *models.DB, ideaID int64, u *models.User) {
	t.Helper()
	sub := &models.Subscription{IdeaID: ideaID, UserID: u.ID, CreatedAt: db.Now()}
	if _, err := db.Bun().NewInsert().Model(sub).Exec(context.Background()); err != nil {
		t.Fatalf("insert subscription: %v", err)
	}
}

// load reads an idea afresh with its status.
func load(t *testing.T, db *models.DB, id int64) *models.Idea {
	t.Helper()
	idea := new(models.Idea)
	err := db.Bun().NewSelect().Model(idea).Relation("Status").Where("idea.id = ?", id).Scan(context.Background())
	if err != nil {
		t.Fatalf("load idea %d: %v", id, err)
	}
	return idea
}

// events lists an idea's events of a kind, oldest first.
func events(t *testing.T, db *models.DB, ideaID int64, kind string) []models.Event {
	t.Helper()
	var evs []models.Event
	err := db.Bun().NewSelect().Model(&evs).Where("idea_id = ?", ideaID).Where("kind = ?", kind).Order("id").Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// cast is the usual people: a staff member, an admin and two members.
type cast struct {
	staff, admin, ann, bob *models.User
}

func people(t *testing.T, db *models.DB) cast {
	t.Helper()
	return cast{
		staff: dbtest.User(t, db, "Sam Staff", "sam@example.com", models.RoleStaff),
		admin: dbtest.User(t, db, "Ada Admin", "ada@example.com", models.RoleAdmin),
		ann:   dbtest.User(t, db, "Ann", "ann@example.com", models.RoleMember),
		bob:   dbtest.User(t, db, "Bob", "bob@example.com", models.RoleMember),
	}
}
