package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// squat signs in with a provider that does not vouch for the address, so
// the new account holds it unverified.
func squat(t *testing.T, db *models.DB, subject, email string, roles models.Roles) *models.User {
	t.Helper()
	res, err := models.SignInWithProvider(context.Background(), db,
		models.Profile{Provider: "google", Subject: subject, Email: email, Name: "Squatter " + subject}, roles)
	if err != nil {
		t.Fatal(err)
	}
	if res.User.EmailAddress() != email || res.User.EmailVerified {
		t.Fatalf("squatter holds %q (verified %v), want %q unverified", res.User.EmailAddress(), res.User.EmailVerified, email)
	}
	return res.User
}

// account reads a user afresh: role, address and whether it is blocked.
func account(t *testing.T, db *models.DB, id int64) *models.User {
	t.Helper()
	u, err := models.UserByID(context.Background(), db, id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// An admin who gives a role by address, or blocks one, reaches only an
// account whose owner proved the address; an account that merely claims it
// is refused with a message on the address, and nothing changes.
func TestRolesAndBlocksGoOnlyToVerifiedAddresses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		dbtest.User(t, db, "Ada Admin", "ada@example.com", models.RoleAdmin)
		sq := squat(t, db, "s1", "boss@example.com", models.Roles{})

		for _, tc := range []struct {
			name   string
			change func() (*models.User, error)
		}{
			{"make staff", func() (*models.User, error) { return models.SetUserRole(ctx, db, "Boss@example.com", models.RoleStaff) }},
			{"make admin", func() (*models.User, error) { return models.SetUserRole(ctx, db, "boss@example.com", models.RoleAdmin) }},
			{"block", func() (*models.User, error) { return models.BlockUser(ctx, db, "boss@example.com") }},
			{"unblock", func() (*models.User, error) { return models.UnblockUser(ctx, db, "boss@example.com") }},
		} {
			u, err := tc.change()
			var ve *models.ValidationError
			if !errors.As(err, &ve) || u != nil {
				t.Errorf("%s: user %v, err %v; want a validation error", tc.name, u, err)
				continue
			}
			if msg := ve.Fields["email"]; !strings.Contains(msg, "boss@example.com") || !strings.Contains(msg, "not verified") {
				t.Errorf("%s: message on email = %q", tc.name, msg)
			}
			if got := account(t, db, sq.ID); got.Role != models.RoleMember || got.BlockedAt != nil {
				t.Errorf("%s: the squatter is now %s (blocked %v)", tc.name, got.Role, got.BlockedAt != nil)
			}
		}
		// Taking a role away is always safe.
		if _, err := db.Bun().Exec("UPDATE users SET role = ? WHERE id = ?", models.RoleStaff, sq.ID); err != nil {
			t.Fatal(err)
		}
		if u, err := models.SetUserRole(ctx, db, "boss@example.com", models.RoleMember); err != nil || u.Role != models.RoleMember {
			t.Errorf("making an unverified account a member: %v, %v", u, err)
		}

		// Once the owner proves the address, the admin's change reaches them.
		token, err := models.CreateLoginLink(ctx, db, "boss@example.com", "/", "")
		if err != nil {
			t.Fatal(err)
		}
		owner, _, err := models.UseLoginLink(ctx, db, token, models.Roles{})
		if err != nil {
			t.Fatal(err)
		}
		u, err := models.SetUserRole(ctx, db, "boss@example.com", models.RoleStaff)
		if err != nil || u.ID != owner.User.ID || u.Role != models.RoleStaff {
			t.Fatalf("make the verified owner staff: %v, %v", u, err)
		}
		if got := account(t, db, sq.ID); got.Role != models.RoleMember || got.Email != nil {
			t.Errorf("the squatter is %s with address %q", got.Role, got.EmailAddress())
		}
	})
}

// When a verified sign-in claims an address held by an account that never
// proved it, the address moves and nothing else does: a role the holder had
// (given before roles needed a verified address) is taken away rather than
// left with whoever claimed the address, and the owner's fresh account gets
// only what its own verified address earns. Both ways of proving an address
// (a provider's verified email and an emailed link) behave the same.
func TestProvingAnAddressLeavesNoRoleWithTheClaimant(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		dbtest.User(t, db, "Ada Admin", "ada@example.com", models.RoleAdmin)
		roles := models.Roles{AdminEmails: []string{"root@example.com"}}

		prove := map[string]func(email string) *models.SignedIn{
			"provider": func(email string) *models.SignedIn {
				res, err := models.SignInWithProvider(ctx, db, models.Profile{Provider: "gitlab", Subject: "owner-" + email, Email: email, EmailVerified: true}, roles)
				if err != nil {
					t.Fatal(err)
				}
				return res
			},
			"link": func(email string) *models.SignedIn {
				token, err := models.CreateLoginLink(ctx, db, email, "/", "")
				if err != nil {
					t.Fatal(err)
				}
				res, _, err := models.UseLoginLink(ctx, db, token, roles)
				if err != nil {
					t.Fatal(err)
				}
				return res
			},
		}
		for _, way := range []string{"provider", "link"} {
			for _, role := range []string{models.RoleStaff, models.RoleAdmin} {
				email := way + "-" + role + "@example.com"
				sq := squat(t, db, email, email, roles)
				// The role as an earlier release could have given it.
				if _, err := db.Bun().Exec("UPDATE users SET role = ? WHERE id = ?", role, sq.ID); err != nil {
					t.Fatal(err)
				}
				owner := prove[way](email)
				if owner.User.ID == sq.ID || owner.User.Role != models.RoleMember || owner.FirstAdmin {
					t.Errorf("%s, %s: the owner's account %d is %s (first admin %v), want a fresh member", way, role, owner.User.ID, owner.User.Role, owner.FirstAdmin)
				}
				got := account(t, db, sq.ID)
				if got.Email != nil || got.Role != models.RoleMember {
					t.Errorf("%s, %s: the claimant keeps role %s and address %q", way, role, got.Role, got.EmailAddress())
				}
			}
		}

		// ADMIN_EMAILS counts only once the address is proven, and then for
		// the owner alone.
		sq := squat(t, db, "root-claim", "root@example.com", roles)
		if sq.Role != models.RoleMember {
			t.Errorf("an unverified admin address made the claimant %s", sq.Role)
		}
		owner := prove["link"]("root@example.com")
		if owner.User.Role != models.RoleAdmin || owner.User.ID == sq.ID {
			t.Errorf("the proven admin address gave account %d role %s", owner.User.ID, owner.User.Role)
		}
		if got := account(t, db, sq.ID); got.Role != models.RoleMember {
			t.Errorf("the claimant of the admin address is %s", got.Role)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM users WHERE role = ? AND email_verified = ?", models.RoleAdmin, false); n != 0 {
			t.Errorf("%d unverified admins", n)
		}
	})
}
