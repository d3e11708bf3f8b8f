package dbtest

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/app/markdown"
	"github.com/cluetrain/cluetrain/models"
)

// The fixtures below are the one way tests build their data. Most write rows
// directly, so that a test can set up exactly the state it needs (an idea
// already planned, a vote cast last month) without going through the code it
// tests and without leaving events behind; they keep every counter exact.
// PostIdea and Follow go through the models functions instead, for tests
// that want an idea as a customer would leave it.

// DefaultBoard is the board every new portal has, and where fixture ideas go
// unless told otherwise.
const DefaultBoard = "feature-requests"

// User inserts a user with the role and returns it.
func User(t testing.TB, db *models.DB, name, email, role string) *models.User {
	t.Helper()
	u := &models.User{Name: name, Role: role, EmailVerified: true, CreatedAt: db.Now()}
	if email != "" {
		u.Email = &email
	}
	if _, err := db.Bun().NewInsert().Model(u).Exec(context.Background()); err != nil {
		t.Fatalf("insert user: %v", err)
	}
	return u
}

// Customer inserts a member who is a customer: their company, plan and
// monthly revenue in cents (set through models.SetCustomer).
func Customer(t testing.TB, db *models.DB, name, email, company, plan string, mrrCents int64) *models.User {
	t.Helper()
	u := User(t, db, name, email, models.RoleMember)
	if err := models.SetCustomer(context.Background(), db, u.ID, company, plan, mrrCents); err != nil {
		t.Fatal(err)
	}
	u.Company, u.Plan, u.MRRCents = company, plan, mrrCents
	return u
}

// Cast is the usual people: a staff member, an admin and two members.
type Cast struct {
	Staff, Admin, Ann, Bob *models.User
}

// People inserts the Cast.
func People(t testing.TB, db *models.DB) Cast {
	t.Helper()
	return Cast{
		Staff: User(t, db, "Sam Staff", "sam@example.com", models.RoleStaff),
		Admin: User(t, db, "Ada Admin", "ada@example.com", models.RoleAdmin),
		Ann:   User(t, db, "Ann", "ann@example.com", models.RoleMember),
		Bob:   User(t, db, "Bob", "bob@example.com", models.RoleMember),
	}
}

// Board returns the board with the slug, inserting it (named after its slug,
// at position 0) when there is none yet. Asking for a board that exists with
// the other privacy fails the test.
func Board(t testing.TB, db *models.DB, slug string, private bool) *models.Board {
	t.Helper()
	ctx := context.Background()
	b := new(models.Board)
	err := db.Bun().NewSelect().Model(b).Where("slug = ?", slug).Scan(ctx)
	switch {
	case err == nil:
		if b.IsPrivate != private {
			t.Fatalf("board %q exists with private=%v, not %v", slug, b.IsPrivate, private)
		}
		return b
	case !errors.Is(err, sql.ErrNoRows):
		t.Fatalf("find board %q: %v", slug, err)
	}
	b = &models.Board{Slug: slug, Name: slug, IsPrivate: private, CreatedAt: db.Now()}
	if _, err := db.Bun().NewInsert().Model(b).Exec(ctx); err != nil {
		t.Fatalf("insert board %q: %v", slug, err)
	}
	return b
}

// IdeaSpec describes an idea for Idea. Author and Title are required.
type IdeaSpec struct {
	Author *models.User
	Title  string
	Body   string        // markdown; "About " + Title when empty
	Status string        // a status slug; "open" when empty
	Board  *models.Board // DefaultBoard when nil
}

// Idea inserts an idea as the spec says, created now by the database's
// clock, with its body rendered as CreateIdea would. Unlike CreateIdea it
// takes any status and any board, records no event and subscribes nobody.
// The returned idea has its Board, Status and Author set.
func Idea(t testing.TB, db *models.DB, spec IdeaSpec) *models.Idea {
	t.Helper()
	if spec.Author == nil || spec.Title == "" {
		t.Fatalf("dbtest.Idea needs an author and a title: %+v", spec)
	}
	if spec.Body == "" {
		spec.Body = "About " + spec.Title
	}
	if spec.Status == "" {
		spec.Status = "open"
	}
	if spec.Board == nil {
		spec.Board = Board(t, db, DefaultBoard, false)
	}
	ctx := context.Background()
	st, err := models.StatusBySlug(ctx, db, spec.Status)
	if err != nil {
		t.Fatal(err)
	}
	now := db.Now()
	html := markdown.Render(spec.Body)
	idea := &models.Idea{
		BoardID: spec.Board.ID, AuthorID: spec.Author.ID, Title: spec.Title, Slug: models.Slugify(spec.Title),
		Body: spec.Body, BodyHTML: html, Summary: markdown.Summary(html), StatusID: st.ID,
		TrendScore: models.NoTrend, CreatedAt: now, UpdatedAt: now, LastActivityAt: now,
		Board: spec.Board, Status: st, Author: spec.Author,
	}
	if _, err := db.Bun().NewInsert().Model(idea).Exec(ctx); err != nil {
		t.Fatalf("insert idea %q: %v", spec.Title, err)
	}
	return idea
}

// PostIdea posts an idea on DefaultBoard through models.CreateIdea, as the
// author would: in the default status, with its creation event, the author
// following it.
func PostIdea(t testing.TB, db *models.DB, author *models.User, title, body string) *models.Idea {
	t.Helper()
	idea, err := models.CreateIdea(context.Background(), db, models.NewIdea{
		Author: author, Board: DefaultBoard, Title: title, Body: body,
	})
	if err != nil {
		t.Fatalf("post idea %q: %v", title, err)
	}
	return idea
}

// Vote records u's vote for the idea as cast at the time, and keeps the
// idea's votes_count, trend_score and weighing (revenue at stake, critical
// count, weekly counts) exact. Unlike models.VoteFor it takes
// any time and any status, and leaves last_activity_at alone.
func Vote(t testing.TB, db *models.DB, idea *models.Idea, u *models.User, at time.Time) {
	t.Helper()
	ctx := context.Background()
	at = at.UTC().Truncate(time.Microsecond) // as PostgreSQL stores it
	if _, err := db.Bun().NewInsert().Model(&models.Vote{IdeaID: idea.ID, UserID: u.ID, CreatedAt: at}).Exec(ctx); err != nil {
		t.Fatalf("insert vote: %v", err)
	}
	var score float64
	if err := db.Bun().NewSelect().Model((*models.Idea)(nil)).Column("trend_score").Where("id = ?", idea.ID).Scan(ctx, &score); err != nil {
		t.Fatalf("read trend score of idea %d: %v", idea.ID, err)
	}
	_, err := db.Bun().NewUpdate().Model((*models.Idea)(nil)).Where("id = ?", idea.ID).
		Set("votes_count = votes_count + 1").
		Set("trend_score = ?", models.AddTrend(score, at)).Exec(ctx)
	if err != nil {
		t.Fatalf("count vote: %v", err)
	}
	if err := models.RecountIdea(ctx, db, idea.ID); err != nil {
		t.Fatal(err)
	}
}

// Follow makes u follow the idea, through models.Subscribe.
func Follow(t testing.TB, db *models.DB, idea *models.Idea, u *models.User) {
	t.Helper()
	if err := models.Subscribe(context.Background(), db, idea.ID, u.ID); err != nil {
		t.Fatal(err)
	}
}

// Reload reads an idea as it is stored now, with its board and status,
// whoever may see it.
func Reload(t testing.TB, db *models.DB, id int64) *models.Idea {
	t.Helper()
	idea := new(models.Idea)
	err := db.Bun().NewSelect().Model(idea).Relation("Board").Relation("Status").
		Where("idea.id = ?", id).Scan(context.Background())
	if err != nil {
		t.Fatalf("reload idea %d: %v", id, err)
	}
	return idea
}

// Events lists the stored events of the kind, oldest first: every one, or
// only the idea's when ideaID is not 0.
func Events(t testing.TB, db *models.DB, kind string, ideaID int64) []models.Event {
	t.Helper()
	var evs []models.Event
	q := db.Bun().NewSelect().Model(&evs).Where("kind = ?", kind).Order("id")
	if ideaID != 0 {
		q = q.Where("idea_id = ?", ideaID)
	}
	if err := q.Scan(context.Background()); err != nil {
		t.Fatalf("events %s: %v", kind, err)
	}
	return evs
}
