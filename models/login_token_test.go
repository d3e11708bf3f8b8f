package models_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func TestLoginLinkWorksOnceUnderConcurrency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		token, err := models.CreateLoginLink(ctx, db, "Racer@Example.com", "/roadmap", "")
		if err != nil {
			t.Fatal(err)
		}
		if len(token) < 43 { // 256 bits in unpadded base64
			t.Errorf("token %q is too short", token)
		}
		const n = 8
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			ok, used int
			other    []error
		)
		for range n {
			wg.Go(func() {
				res, next, err := models.UseLoginLink(ctx, db, token, models.Roles{})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
					if next != "/roadmap" || res.User.EmailAddress() != "racer@example.com" || !res.Created {
						other = append(other, errors.New("wrong result"))
					}
				case errors.Is(err, models.ErrLinkUsed):
					used++
				default:
					other = append(other, err)
				}
			})
		}
		wg.Wait()
		if ok != 1 || used != n-1 || len(other) != 0 {
			t.Fatalf("%d signed in, %d refused as used, other outcomes %v; want 1, %d, none", ok, used, other, n-1)
		}
		if c := dbtest.Count(t, db, "SELECT count(*) FROM users"); c != 1 {
			t.Errorf("users = %d, want 1", c)
		}
	})
}

func TestSignInWithProviderRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		roles := models.Roles{AdminEmails: []string{"root@example.com"}}
		first, err := models.SignInWithProvider(ctx, db, models.Profile{Provider: "oidc", Subject: "1", Email: "a@example.com", Name: "A"}, roles)
		if err != nil {
			t.Fatal(err)
		}
		if !first.Created || !first.FirstAdmin || first.User.Role != models.RoleAdmin || first.User.EmailVerified {
			t.Errorf("first = %+v %+v", first, first.User)
		}
		// The same address, unverified, from another provider: a new member
		// account without the address.
		second, err := models.SignInWithProvider(ctx, db, models.Profile{Provider: "github", Subject: "1", Email: "A@example.com", Name: "B"}, roles)
		if err != nil {
			t.Fatal(err)
		}
		if !second.Created || second.FirstAdmin || second.User.ID == first.User.ID || second.User.Email != nil || second.User.Role != models.RoleMember {
			t.Errorf("second = %+v %+v", second, second.User)
		}
		// An admin address counts only when verified. Proving an address
		// that another account only claimed moves it to a fresh account.
		unverified, err := models.SignInWithProvider(ctx, db, models.Profile{Provider: "google", Subject: "9", Email: "root@example.com"}, roles)
		if err != nil {
			t.Fatal(err)
		}
		if unverified.User.Role != models.RoleMember {
			t.Errorf("an unverified admin address made an %s", unverified.User.Role)
		}
		verified, err := models.SignInWithProvider(ctx, db, models.Profile{Provider: "gitlab", Subject: "9", Email: "root@example.com", EmailVerified: true}, roles)
		if err != nil {
			t.Fatal(err)
		}
		if !verified.Created || verified.User.ID == unverified.User.ID || verified.User.Role != models.RoleAdmin || !verified.User.EmailVerified {
			t.Errorf("verified = %+v", verified.User)
		}
		if c := dbtest.Count(t, db, "SELECT count(*) FROM users WHERE id = ? AND email IS NULL", unverified.User.ID); c != 1 {
			t.Error("the account that only claimed the address kept it")
		}
		// The same for an emailed link.
		claim, err := models.SignInWithProvider(ctx, db, models.Profile{Provider: "google", Subject: "10", Email: "owner@example.com"}, roles)
		if err != nil {
			t.Fatal(err)
		}
		token, err := models.CreateLoginLink(ctx, db, "owner@example.com", "/", "")
		if err != nil {
			t.Fatal(err)
		}
		owner, _, err := models.UseLoginLink(ctx, db, token, roles)
		if err != nil {
			t.Fatal(err)
		}
		if !owner.Created || owner.User.ID == claim.User.ID || owner.User.EmailAddress() != "owner@example.com" {
			t.Errorf("the link signed in to %+v, want a fresh account", owner.User)
		}
		if _, err := models.SignInWithProvider(ctx, db, models.Profile{Provider: "oidc"}, roles); err == nil {
			t.Error("a profile without a subject signed in")
		}
	})
}
