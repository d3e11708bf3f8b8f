package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// An admin's "make staff" by address, and blocks by address, are refused
// for an account that only claims the address (its provider said the
// address was not verified): 422 beside the address, nothing changed. The
// account's panel says why before the admin tries.
func TestAdminGivesRolesOnlyToVerifiedAddresses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		ta := newTestApp(t, db)
		ada := dbtest.User(t, db, "Ada Admin", "ada@example.com", models.RoleAdmin)
		res, err := models.SignInWithProvider(ctx, db, models.Profile{Provider: "google", Subject: "squatter", Email: "boss@example.com", Name: "Not the boss"}, ta.roles())
		if err != nil {
			t.Fatal(err)
		}
		if res.User.EmailVerified || res.User.EmailAddress() != "boss@example.com" {
			t.Fatalf("the claimant holds %q verified %v", res.User.EmailAddress(), res.User.EmailVerified)
		}
		c := ta.client()
		c.signInAs(ada)

		page := wantStatus(t, c.get("/admin?email=boss@example.com"), http.StatusOK)
		if !strings.Contains(page, "boss@example.com (unverified)") || !strings.Contains(page, "can't be given a role or blocked until its owner proves it") {
			t.Errorf("the unverified account's panel does not say why it can't be made staff:\n%s", excerptOf(page[strings.Index(page, `id="people"`):]))
		}

		before := adminState(t, db)
		for _, tc := range []struct {
			path string
			form url.Values
		}{
			{"/admin/users/role", url.Values{"email": {"boss@example.com"}, "role": {"staff"}}},
			{"/admin/users/role", url.Values{"email": {"BOSS@example.com"}, "role": {"admin"}}},
			{"/admin/users/block", url.Values{"email": {"boss@example.com"}}},
			{"/admin/users/unblock", url.Values{"email": {"boss@example.com"}}},
		} {
			page := wantStatus(t, c.post(tc.path, tc.form), http.StatusUnprocessableEntity)
			if !strings.Contains(page, `class="notice notice-error" role="alert" id="people-error"`) ||
				!strings.Contains(page, "The address boss@example.com is not verified") {
				t.Errorf("POST %s %v: no message about the unverified address:\n%s", tc.path, tc.form, excerptOf(mainOf(t, page)))
			}
			field := openingTag(page, "find-email")
			if !strings.Contains(field, `aria-invalid="true"`) || !strings.Contains(field, `aria-describedby="people-error"`) ||
				!strings.Contains(field, `value="`+tc.form.Get("email")+`"`) {
				t.Errorf("POST %s: the address field is not marked and kept: %s", tc.path, field)
			}
		}
		if after := adminState(t, db); after != before {
			t.Errorf("refusals changed the database:\nbefore\n%s\nafter\n%s", before, after)
		}

		// Once the owner signs in with an emailed link, the address is
		// theirs, and so is the role.
		token, err := models.CreateLoginLink(ctx, db, "boss@example.com", "/", "")
		if err != nil {
			t.Fatal(err)
		}
		owner, _, err := models.UseLoginLink(ctx, db, token, ta.roles())
		if err != nil {
			t.Fatal(err)
		}
		wantStatus(t, c.post("/admin/users/role", url.Values{"email": {"boss@example.com"}, "role": {"staff"}}), http.StatusSeeOther)
		for id, want := range map[int64]string{owner.User.ID: models.RoleStaff, res.User.ID: models.RoleMember} {
			u, err := models.UserByID(ctx, db, id)
			if err != nil {
				t.Fatal(err)
			}
			if u.Role != want {
				t.Errorf("account %d is %s, want %s", id, u.Role, want)
			}
		}
	})
}
