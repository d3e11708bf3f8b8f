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

func TestCommentsCountEventsAndHiding(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		clock := dbtest.FixClock(db)
		ada := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleMember)
		bob := dbtest.User(t, db, "Bob", "bob@example.com", models.RoleMember)
		sam := dbtest.User(t, db, "Sam", "sam@example.com", models.RoleStaff)
		idea := dbtest.PostIdea(t, db, ada, "Comment on me", "")

		clock.Advance(time.Minute)
		c1, err := models.CreateComment(ctx, db, models.NewComment{IdeaID: idea.ID, Author: bob, Body: "I *agree*"})
		if err != nil {
			t.Fatal(err)
		}
		staffNote, err := models.CreateComment(ctx, db, models.NewComment{IdeaID: idea.ID, Author: sam, Body: "Thanks!"})
		if err != nil {
			t.Fatal(err)
		}
		if c1.IsStaff || !staffNote.IsStaff || c1.BodyHTML != "<p>I <em>agree</em></p>\n" {
			t.Errorf("is_staff %v/%v, html %q", c1.IsStaff, staffNote.IsStaff, c1.BodyHTML)
		}
		if n := dbtest.Count(t, db, "SELECT comments_count FROM ideas WHERE id = ?", idea.ID); n != 2 {
			t.Errorf("comments_count = %d, want 2", n)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE kind = ? AND idea_id = ?", models.EventCommented, idea.ID); n != 2 {
			t.Errorf("%d comment events, want 2", n)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM subscriptions WHERE idea_id = ? AND user_id = ?", idea.ID, bob.ID); n != 1 {
			t.Errorf("commenter not subscribed")
		}
		if got := dbtest.Reload(t, db, idea.ID); !got.LastActivityAt.Equal(clock.T) {
			t.Errorf("last activity %v, want %v", got.LastActivityAt, clock.T)
		}

		// Validation.
		for _, body := range []string{"", "  \n ", strings.Repeat("x", 5001)} {
			var ve *models.ValidationError
			if _, err := models.CreateComment(ctx, db, models.NewComment{IdeaID: idea.ID, Author: bob, Body: body}); !errors.As(err, &ve) || ve.Fields["body"] == "" {
				t.Errorf("body of %d chars: err = %v", len(body), err)
			}
		}
		if _, err := models.CreateComment(ctx, db, models.NewComment{IdeaID: idea.ID + 99, Author: bob, Body: "x"}); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("comment on missing idea: %v", err)
		}

		// Only staff hide; hiding twice changes nothing more.
		if err := models.HideComment(ctx, db, idea.ID, c1.ID, bob); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("member hides: %v, want ErrForbidden", err)
		}
		for i := 0; i < 2; i++ {
			if err := models.HideComment(ctx, db, idea.ID, c1.ID, sam); err != nil {
				t.Fatal(err)
			}
		}
		if err := models.HideComment(ctx, db, idea.ID+1, c1.ID, sam); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("hide through another idea: %v, want ErrNotFound", err)
		}
		if n := dbtest.Count(t, db, "SELECT comments_count FROM ideas WHERE id = ?", idea.ID); n != 1 {
			t.Errorf("comments_count after hiding = %d, want 1", n)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE kind = ? AND idea_id = ? AND actor_id = ?", models.EventCommentHidden, idea.ID, sam.ID); n != 1 {
			t.Errorf("%d comment.hidden events, want 1", n)
		}
		for _, v := range []struct {
			who  *models.User
			want int
		}{{nil, 1}, {bob, 1}, {sam, 2}} {
			cs, err := models.IdeaComments(ctx, db, idea.ID, v.who)
			if err != nil || len(cs) != v.want || cs[0].Author == nil {
				t.Errorf("comments seen by %v: %d, %v", v.who, len(cs), err)
			}
		}
		timeline, err := models.IdeaTimeline(ctx, db, idea.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range timeline {
			kinds = append(kinds, e.Kind)
		}
		if strings.Join(kinds, " ") != "idea.created idea.commented" || timeline[0].Actor.ID != ada.ID {
			t.Errorf("timeline = %v", kinds)
		}
	})
}

func TestCommentEditWindow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		clock := dbtest.FixClock(db)
		ada := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleMember)
		bob := dbtest.User(t, db, "Bob", "bob@example.com", models.RoleMember)
		idea := dbtest.PostIdea(t, db, ada, "Edit me", "")
		c, err := models.CreateComment(ctx, db, models.NewComment{IdeaID: idea.ID, Author: bob, Body: "frist"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.EditComment(ctx, db, idea.ID, c.ID, ada, "mine now"); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("someone else edits: %v, want ErrForbidden", err)
		}
		clock.Advance(14 * time.Minute)
		edited, err := models.EditComment(ctx, db, idea.ID, c.ID, bob, "first")
		if err != nil || edited.BodyHTML != "<p>first</p>\n" || !edited.Edited() {
			t.Fatalf("edit: %+v, %v", edited, err)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE kind = ? AND idea_id = ?", models.EventCommentEdited, idea.ID); n != 1 {
			t.Errorf("%d comment.edited events, want 1", n)
		}
		clock.Advance(2 * time.Minute)
		var re *models.RuleError
		if _, err := models.EditComment(ctx, db, idea.ID, c.ID, bob, "too late"); !errors.As(err, &re) {
			t.Errorf("edit after the window: %v, want RuleError", err)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM comments WHERE body = 'first'"); n != 1 {
			t.Error("late edit changed the comment")
		}
	})
}
