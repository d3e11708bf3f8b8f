package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// adminState is everything the admin routes could change, as text.
func adminState(t *testing.T, db *models.DB) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	var boards []models.Board
	if err := db.Bun().NewSelect().Model(&boards).Order("id").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	for _, x := range boards {
		fmt.Fprintf(&b, "board %d %q %q %q %v %d\n", x.ID, x.Slug, x.Name, x.Description, x.IsPrivate, x.Position)
	}
	var users []models.User
	if err := db.Bun().NewSelect().Model(&users).Order("id").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		fmt.Fprintf(&b, "user %d %s %v\n", u.ID, u.Role, u.BlockedAt == nil)
	}
	fmt.Fprintf(&b, "events %d\n", dbtest.Count(t, db, "SELECT count(*) FROM events"))
	return b.String()
}

// Every admin route, tried by a visitor, a member, staff, a blocked member
// and a blocked admin: each is refused and nothing changes. Without a CSRF
// token even an admin is refused.
func TestAdminRoutesRefuseEveryoneElse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		ada := dbtest.User(t, db, "Ada Admin", "ada@example.com", models.RoleAdmin)
		ann := dbtest.User(t, db, "Ann", "ann@example.com", models.RoleMember)
		sam := dbtest.User(t, db, "Sam Staff", "sam@example.com", models.RoleStaff)
		blocked := dbtest.User(t, db, "Blocked", "blocked@example.com", models.RoleMember)
		exAdmin := dbtest.User(t, db, "Former", "former@example.com", models.RoleAdmin)
		for _, u := range []*models.User{blocked, exAdmin} {
			if _, err := models.BlockUser(context.Background(), db, u.EmailAddress()); err != nil {
				t.Fatal(err)
			}
		}
		fr, err := models.BoardBySlug(context.Background(), db, "feature-requests", nil)
		if err != nil {
			t.Fatal(err)
		}
		board := "/admin/boards/" + strconv.FormatInt(fr.ID, 10)
		actions := []gatedAction{
			{"GET", "/admin", nil},
			{"GET", "/admin?email=ada@example.com", nil},
			{"POST", "/admin/boards", url.Values{"name": {"Internal"}, "is_private": {"1"}}},
			{"POST", board, url.Values{"name": {"Renamed"}, "slug": {"renamed"}, "is_private": {"1"}, "position": {"4"}}},
			{"POST", "/admin/users/role", url.Values{"email": {"ann@example.com"}, "role": {"admin"}}},
			{"POST", "/admin/users/role", url.Values{"email": {"ada@example.com"}, "role": {"member"}}},
			{"POST", "/admin/users/block", url.Values{"email": {"ada@example.com"}}},
			{"POST", "/admin/users/unblock", url.Values{"email": {"blocked@example.com"}}},
		}
		before := adminState(t, db)
		checkRefused(t, ta, actions, []*models.User{nil, ann, sam, blocked, exAdmin}, ada, "Run the portal", `href="/admin"`)
		if after := adminState(t, db); after != before {
			t.Errorf("refused requests changed the database:\nbefore\n%s\nafter\n%s", before, after)
		}
	})
}

func TestAdminNavLinkIsForAdminsOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		for _, tc := range []struct {
			role string
			want bool
		}{{models.RoleMember, false}, {models.RoleStaff, false}, {models.RoleAdmin, true}} {
			c := ta.client()
			c.signInAs(dbtest.User(t, db, tc.role, tc.role+"@example.com", tc.role))
			page := wantStatus(t, c.get("/"), http.StatusOK)
			if got := strings.Contains(page, `<a href="/admin">Admin</a>`); got != tc.want {
				t.Errorf("%s sees the Admin link: %v, want %v", tc.role, got, tc.want)
			}
		}
		c := ta.client()
		c.signInAs(dbtest.User(t, db, "Ada", "ada@example.com", models.RoleAdmin))
		if page := wantStatus(t, c.get("/admin"), http.StatusOK); !strings.Contains(page, `<a href="/admin" aria-current="page">Admin</a>`) {
			t.Error("the Admin link is not current on the admin page")
		}
	})
}

func TestAdminCreatesAndEditsBoards(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		ta := newTestApp(t, db)
		ada := dbtest.User(t, db, "Ada Admin", "ada@example.com", models.RoleAdmin)
		ann := dbtest.User(t, db, "Ann", "ann@example.com", models.RoleMember)
		if _, err := models.CreateIdea(ctx, db, models.NewIdea{Author: ann, Board: "feature-requests", Title: "Dark mode"}); err != nil {
			t.Fatal(err)
		}
		c := ta.client()
		c.signInAs(ada)

		page := wantStatus(t, c.get("/admin"), http.StatusOK)
		for _, want := range []string{"<h1>Run the portal</h1>", ">Feature requests<", "1 idea<", "<code>feature-requests</code>",
			`action="/admin/boards"`, `name="_csrf" value="` + c.csrf() + `"`, ">Under review<", "#a855f7"} {
			if !strings.Contains(page, want) {
				t.Errorf("admin page lacks %q", want)
			}
		}
		if n := strings.Count(page, `<form method="post"`); n != strings.Count(page, `name="_csrf"`)-1 {
			// The layout's sign-out form has its own token.
			t.Errorf("%d post forms, %d tokens", n, strings.Count(page, `name="_csrf"`))
		}

		// Created with a slug from its name, last in order, private.
		resp := c.post("/admin/boards", url.Values{"name": {"Internal roadmap"}, "description": {"For the team"}, "is_private": {"1"}})
		wantStatus(t, resp, http.StatusSeeOther)
		b, err := models.BoardBySlug(ctx, db, "internal-roadmap", ada)
		if err != nil {
			t.Fatal(err)
		}
		if loc := resp.Header.Get("Location"); loc != fmt.Sprintf("/admin#board-%d", b.ID) {
			t.Errorf("Location %q", loc)
		}
		if !b.IsPrivate || b.Position != 2 || b.Description != "For the team" {
			t.Errorf("created %+v", b)
		}
		page = wantStatus(t, c.get("/admin"), http.StatusOK)
		if !strings.Contains(page, `Internal roadmap <span class="tag">private</span>`) || !strings.Contains(page, "1 private") {
			t.Error("the admin page does not show the new private board")
		}
		if strings.Contains(wantStatus(t, ta.client().get("/"), http.StatusOK), "Internal roadmap") {
			t.Error("a visitor sees the private board")
		}

		// Refused: shown again with 422, the input kept, each message by its field.
		before := adminState(t, db)
		page = wantStatus(t, c.post("/admin/boards", url.Values{"name": {"X"}, "slug": {"Bad Slug!"}, "description": {"Kept <text>"}}), http.StatusUnprocessableEntity)
		for _, want := range []string{
			`id="board-new-name-error">The name needs at least 2 characters.</p>`,
			`id="board-new-slug-error">Use only lower-case letters`,
			`value="Bad Slug!"`, `value="X"`, ">Kept &lt;text&gt;</textarea>",
			`<details class="admin-new" open>`, `aria-invalid="true"`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("refused create lacks %q", want)
			}
		}
		page = wantStatus(t, c.post("/admin/boards", url.Values{"name": {"Feature requests"}}), http.StatusUnprocessableEntity)
		if !strings.Contains(page, `Another board already uses &#34;feature-requests&#34;.`) {
			t.Errorf("a taken slug is not explained:\n%s", mainOf(t, page))
		}
		if after := adminState(t, db); after != before {
			t.Errorf("refused creates changed the database:\n%s\n%s", before, after)
		}

		// Edited: renamed, reordered, made private. No idea event, but the
		// feeds that listed its ideas change at once.
		visitor := ta.client()
		resp = visitor.get("/feeds/ideas.rss")
		etag := resp.Header.Get("ETag")
		if !strings.Contains(wantStatus(t, resp, http.StatusOK), "Dark mode") {
			t.Fatal("the ideas feed lacks the idea")
		}
		fr := "/admin/boards/" + strconv.FormatInt(b.ID-1, 10)
		resp = c.post(fr, url.Values{"name": {"Requests"}, "slug": {"feature-requests"}, "description": {"All of them"}, "position": {"7"}, "is_private": {"on"}})
		wantStatus(t, resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != fmt.Sprintf("/admin#board-%d", b.ID-1) {
			t.Errorf("Location %q", loc)
		}
		got, err := models.BoardBySlug(ctx, db, "feature-requests", ada)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Requests" || got.Description != "All of them" || got.Position != 7 || !got.IsPrivate {
			t.Errorf("edited %+v", got)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE idea_id IS NOT NULL"); n != 1 {
			t.Errorf("%d idea events, want only the idea's creation", n)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE kind = ? AND board_id = ?", models.EventBoardUpdated, got.ID); n != 1 {
			t.Errorf("%d board.updated events, want 1", n)
		}
		resp = visitor.get("/feeds/ideas.rss", "If-None-Match", etag)
		if b := wantStatus(t, resp, http.StatusOK); strings.Contains(b, "Dark mode") || resp.Header.Get("ETag") == etag {
			t.Errorf("the ideas feed still shows the private board's idea (ETag %q, was %q)", resp.Header.Get("ETag"), etag)
		}
		wantStatus(t, visitor.get("/boards/feature-requests/feed.rss"), http.StatusNotFound)

		// A refused edit opens that board's form with the input and errors.
		before = adminState(t, db)
		page = wantStatus(t, c.post(fr, url.Values{"name": {"Requests"}, "slug": {"internal-roadmap"}, "position": {"soon"}}), http.StatusUnprocessableEntity)
		key := strconv.FormatInt(got.ID, 10)
		for _, want := range []string{
			`id="board-` + key + `-slug-error">Another board already uses`,
			`id="board-` + key + `-position-error">Use a whole number from 0 to 9999.</p>`,
			`value="soon"`, `<details class="admin-edit" open>`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("refused edit lacks %q", want)
			}
		}
		if strings.Count(page, `<details class="admin-edit" open>`) != 1 {
			t.Error("more than the refused board's form is open")
		}
		for _, path := range []string{"/admin/boards/99999", "/admin/boards/abc", "/admin/boards/01"} {
			wantStatus(t, c.post(path, url.Values{"name": {"Whatever"}}), http.StatusNotFound)
		}
		if after := adminState(t, db); after != before {
			t.Errorf("refused edits changed the database")
		}
	})
}

func TestAdminSetsRolesAndBlocks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		ta := newTestApp(t, db)
		ada := dbtest.User(t, db, "Ada Admin", "ada@example.com", models.RoleAdmin)
		sam := dbtest.User(t, db, "Sam Staff", "sam@example.com", models.RoleStaff)
		dbtest.User(t, db, "Ann Member", "ann@example.com", models.RoleMember)
		c := ta.client()
		c.signInAs(ada)
		role := func(email string) string {
			u, err := models.UserByEmail(ctx, db, email)
			if err != nil {
				t.Fatal(err)
			}
			if u.BlockedAt != nil {
				return u.Role + " blocked"
			}
			return u.Role
		}

		page := wantStatus(t, c.get("/admin"), http.StatusOK)
		people := page[strings.Index(page, `id="people"`):]
		if !strings.Contains(people, "Sam Staff") || !strings.Contains(people, "Ada Admin") || strings.Contains(people, "Ann Member") {
			t.Errorf("the staff list is wrong:\n%s", people)
		}
		page = wantStatus(t, c.get("/admin?email=ANN@example.com"), http.StatusOK)
		for _, want := range []string{`value="ANN@example.com"`, "<strong>Ann Member</strong>", `action="/admin/users/role"`, `<option value="member" selected>`, `action="/admin/users/block"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the found account lacks %q", want)
			}
		}
		if page := wantStatus(t, c.get("/admin?email=nobody@example.com"), http.StatusOK); !strings.Contains(page, "No account has the address nobody@example.com.") {
			t.Error("an unknown address is not explained")
		}

		// Roles and blocks, each back to the account.
		resp := c.post("/admin/users/role", url.Values{"email": {"ann@example.com"}, "role": {"staff"}})
		wantStatus(t, resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != "/admin?email=ann%40example.com#people" {
			t.Errorf("Location %q", loc)
		}
		wantStatus(t, c.post("/admin/users/block", url.Values{"email": {"sam@example.com"}}), http.StatusSeeOther)
		if got := role("ann@example.com") + ", " + role("sam@example.com"); got != "staff, staff blocked" {
			t.Errorf("after role and block: %s", got)
		}
		page = wantStatus(t, c.get("/admin?email=sam@example.com"), http.StatusOK)
		if !strings.Contains(page, `action="/admin/users/unblock"`) || strings.Contains(page, `action="/admin/users/block"`) {
			t.Error("a blocked account is not offered unblocking")
		}
		wantStatus(t, c.post("/admin/users/unblock", url.Values{"email": {"sam@example.com"}}), http.StatusSeeOther)
		wantStatus(t, c.post("/admin/users/role", url.Values{"email": {"sam@example.com"}, "role": {"admin"}}), http.StatusSeeOther)
		if got := role("sam@example.com"); got != "admin" {
			t.Errorf("Sam is %s, want admin", got)
		}

		// Refusals: 422 with a message, nothing changed. Admins can't demote
		// or block themselves, even with another admin around.
		before := adminState(t, db)
		for _, tc := range []struct {
			path string
			form url.Values
			says string
		}{
			{"/admin/users/role", url.Values{"email": {"ada@example.com"}, "role": {"staff"}}, "You can&#39;t take away your own admin role."},
			{"/admin/users/role", url.Values{"email": {"ADA@example.com"}, "role": {"member"}}, "You can&#39;t take away your own admin role."},
			{"/admin/users/block", url.Values{"email": {"ada@example.com"}}, "You can&#39;t block your own account."},
			{"/admin/users/role", url.Values{"email": {"ann@example.com"}, "role": {"owner"}}, "&#34;owner&#34; is not a role"},
			{"/admin/users/role", url.Values{"email": {"nobody@example.com"}, "role": {"staff"}}, "No account has the address nobody@example.com."},
			{"/admin/users/block", url.Values{"email": {""}}, "Enter the email address of an account."},
		} {
			page := wantStatus(t, c.post(tc.path, tc.form), http.StatusUnprocessableEntity)
			if !strings.Contains(page, tc.says) {
				t.Errorf("POST %s %v: page lacks %q:\n%s", tc.path, tc.form, tc.says, mainOf(t, page))
			}
			if !strings.Contains(page, `class="notice notice-error" role="alert"`) {
				t.Errorf("POST %s %v: the message is not an alert", tc.path, tc.form)
			}
		}
		if after := adminState(t, db); after != before {
			t.Errorf("refusals changed the database:\n%s\n%s", before, after)
		}
		if page := wantStatus(t, c.get("/admin?email=ada@example.com"), http.StatusOK); strings.Contains(page, `action="/admin/users/role"`) {
			t.Error("an admin is offered forms to demote themselves")
		}
		// Another admin may demote Ada.
		c2 := ta.client()
		c2.signInAs(sam)
		wantStatus(t, c2.post("/admin/users/role", url.Values{"email": {"ada@example.com"}, "role": {"staff"}}), http.StatusSeeOther)
		if got := role("ada@example.com"); got != "staff" {
			t.Errorf("Ada is %s, want staff", got)
		}
		wantStatus(t, c.get("/admin"), http.StatusForbidden)
	})
}
