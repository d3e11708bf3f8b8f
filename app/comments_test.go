package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func TestCommentsOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		ada := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleMember)
		sam := dbtest.User(t, db, "Sam", "sam@example.com", models.RoleStaff)
		c := ta.client()
		c.signInAs(ada)
		loc := postIdea(t, c, "Talk about me", "")
		s := ta.client()
		s.signInAs(sam)

		page := wantStatus(t, c.post("/ideas/1/comments", url.Values{"body": {"   "}}), http.StatusUnprocessableEntity)
		if !strings.Contains(page, `id="comment-error"`) || !strings.Contains(page, `aria-invalid="true"`) {
			t.Error("empty comment: no error by the field")
		}
		resp := c.post("/ideas/1/comments", url.Values{"body": {"Me *too*"}})
		wantStatus(t, resp, http.StatusSeeOther)
		if got := resp.Header.Get("Location"); got != loc+"#comment-1" {
			t.Errorf("comment redirects to %q", got)
		}
		wantStatus(t, s.post("/ideas/1/comments", url.Values{"body": {"We hear you."}}), http.StatusSeeOther)
		page = wantStatus(t, ta.client().get(loc), http.StatusOK)
		for _, want := range []string{"Me <em>too</em>", `class="comment comment-staff"`, `<span class="badge">Staff</span>`, "2 comments"} {
			if !strings.Contains(page, want) {
				t.Errorf("idea page lacks %q", want)
			}
		}
		// The author edits within 15 minutes, not after.
		page = wantStatus(t, c.get(loc), http.StatusOK)
		if !strings.Contains(page, `action="/ideas/1/comments/1/edit"`) || strings.Contains(page, `action="/ideas/1/comments/2/edit"`) {
			t.Error("edit form offered wrongly")
		}
		wantStatus(t, c.post("/ideas/1/comments/1/edit", url.Values{"body": {"Me too, really"}}), http.StatusSeeOther)
		wantStatus(t, c.post("/ideas/1/comments/2/edit", url.Values{"body": {"Hijack"}}), http.StatusForbidden)
		wantStatus(t, c.post("/ideas/1/comments/1/edit", url.Values{"body": {""}}), http.StatusUnprocessableEntity)
		ta.clock.Advance(16 * time.Minute)
		wantStatus(t, c.post("/ideas/1/comments/1/edit", url.Values{"body": {"Late"}}), http.StatusConflict)

		// Staff hide; it disappears for everyone else and from the count.
		wantStatus(t, c.post("/ideas/1/comments/1/hide", nil), http.StatusForbidden)
		wantStatus(t, s.post("/ideas/1/comments/1/hide", nil), http.StatusSeeOther)
		wantStatus(t, s.post("/ideas/1/comments/99/hide", nil), http.StatusNotFound)
		page = wantStatus(t, ta.client().get(loc), http.StatusOK)
		if strings.Contains(page, "Me too, really") || !strings.Contains(page, "1 comment") {
			t.Error("hidden comment still shown to visitors")
		}
		if page = wantStatus(t, s.get(loc), http.StatusOK); !strings.Contains(page, "hidden from customers") {
			t.Error("staff don't see the hidden comment")
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE kind = ?", models.EventCommentHidden); n != 1 {
			t.Errorf("%d comment.hidden events", n)
		}
	})
}
