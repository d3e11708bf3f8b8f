package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Identity ties an account to a sign-in provider's subject.
type Identity struct {
	bun.BaseModel `bun:"table:identities"`

	ID             int64     `bun:"id,pk,autoincrement"`
	UserID         int64     `bun:"user_id"`
	Provider       string    `bun:"provider"`
	ProviderUserID string    `bun:"provider_user_id"`
	Email          *string   `bun:"email"`
	CreatedAt      time.Time `bun:"created_at"`
}

// Profile is what a sign-in provider asserts about a person.
type Profile struct {
	Provider      string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	AvatarURL     string

	// Who the person is to the company, when the provider asserts it;
	// nil fields keep what is stored.
	Company, Plan *string
	MRRCents      *int64
}

// SignedIn is the account a sign-in ended on.
type SignedIn struct {
	User *User
	// Created is true when the sign-in made a new account.
	Created bool
	// FirstAdmin is true when the account became admin because the portal
	// had none.
	FirstAdmin bool
}

// Roles carries the configured admin addresses into sign-in.
type Roles struct {
	AdminEmails []string
}

func (r Roles) isAdminEmail(email string) bool {
	email = normalizeEmail(email)
	for _, e := range r.AdminEmails {
		if e != "" && normalizeEmail(e) == email {
			return true
		}
	}
	return false
}

// SignInWithProvider finds or makes the account for a provider's profile, in
// one transaction. A known identity signs its account in. A new identity
// joins the account holding the same address only when the provider asserts
// the address is verified (and that account's address was verified too);
// otherwise it becomes a new account. Name and avatar follow the provider.
func SignInWithProvider(ctx context.Context, db *DB, p Profile, roles Roles) (*SignedIn, error) {
	if p.Provider == "" || p.Subject == "" {
		return nil, errors.New("sign in with provider: profile lacks provider or subject")
	}
	p.Email = normalizeEmail(p.Email)
	if p.Email == "" {
		p.EmailVerified = false
	}
	res := &SignedIn{}
	err := db.inTx(ctx, func(tx bun.Tx) error {
		user, err := userByIdentity(ctx, tx, p.Provider, p.Subject)
		switch {
		case err == nil:
		case !errors.Is(err, ErrNotFound):
			return err
		case p.EmailVerified:
			user, res.Created, err = accountForVerifiedEmail(ctx, tx, db.Now(), p.Email, p.Name)
			if err != nil {
				return err
			}
		default:
			email := p.Email
			if email != "" {
				// An unverified address never takes over one already in use.
				if _, err := userByEmailTx(ctx, tx, email); err == nil {
					email = ""
				} else if !errors.Is(err, ErrNotFound) {
					return err
				}
			}
			if user, err = createUser(ctx, tx, db.Now(), displayName(p.Name, p.Email), email, false); err != nil {
				return err
			}
			res.Created = true
		}
		if err := linkIdentity(ctx, tx, db.Now(), user.ID, p); err != nil {
			return err
		}
		if p.Name != "" {
			user.Name = clip(p.Name, 200)
		}
		if p.AvatarURL != "" && strings.HasPrefix(p.AvatarURL, "https://") {
			user.AvatarURL = clip(p.AvatarURL, 2000)
		}
		if p.EmailVerified && user.EmailAddress() == p.Email {
			user.EmailVerified = true
		}
		formerCompany := user.Company
		customer := false
		if p.Company != nil && clip(*p.Company, 200) != user.Company {
			user.Company, customer = clip(*p.Company, 200), true
		}
		if p.Plan != nil && clip(*p.Plan, 100) != user.Plan {
			user.Plan, customer = clip(*p.Plan, 100), true
		}
		if p.MRRCents != nil && *p.MRRCents >= 0 && *p.MRRCents != user.MRRCents {
			user.MRRCents, customer = *p.MRRCents, true
		}
		if _, err := tx.NewUpdate().Model(user).Column("name", "avatar_url", "email_verified", "company", "plan", "mrr_cents").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("update profile: %w", err)
		}
		if customer {
			// The revenue at stake of what they voted for follows them.
			if err := RecountRevenue(ctx, tx, user.ID, formerCompany); err != nil {
				return err
			}
		}
		res.FirstAdmin, err = grantRoles(ctx, tx, user, roles, res.Created)
		res.User = user
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sign in with %s: %w", p.Provider, err)
	}
	return res, nil
}

// IdentitiesOf lists the identities linked to a user, oldest first.
func IdentitiesOf(ctx context.Context, db *DB, userID int64) ([]Identity, error) {
	var ids []Identity
	err := db.bun.NewSelect().Model(&ids).Where("user_id = ?", userID).Order("id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("identities of user %d: %w", userID, mapErr(err))
	}
	return ids, nil
}

// accountForVerifiedEmail returns the account holding a verified address,
// making one if there is none. An account that only claims the address
// (unverified) loses it to the proven owner, who gets a fresh account:
// whoever made the claim must not gain the owner's sign-ins. Only the
// address moves. A role the claimant held goes too, to nobody: roles are
// given by address, so one held by an account that never proved its address
// was meant for the owner, and the owner's account earns its own (from
// ADMIN_EMAILS, or from an admin, now that the address is proven).
func accountForVerifiedEmail(ctx context.Context, tx bun.Tx, now time.Time, email, name string) (*User, bool, error) {
	u, err := userByEmailTx(ctx, tx, email)
	switch {
	case err == nil && u.EmailVerified:
		return u, false, nil
	case err == nil:
		_, err := tx.NewUpdate().Model(u).Set("email = NULL").Set("role = ?", RoleMember).WherePK().Exec(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("release unverified address: %w", err)
		}
	case !errors.Is(err, ErrNotFound):
		return nil, false, err
	}
	u, err = createUser(ctx, tx, now, displayName(name, email), email, true)
	return u, err == nil, err
}

func userByIdentity(ctx context.Context, tx bun.Tx, provider, subject string) (*User, error) {
	u := new(User)
	err := tx.NewSelect().Model(u).
		Where("id = (SELECT user_id FROM identities WHERE provider = ? AND provider_user_id = ?)", provider, subject).
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("user by identity: %w", mapErr(err))
	}
	return u, nil
}

func userByEmailTx(ctx context.Context, tx bun.Tx, email string) (*User, error) {
	u := new(User)
	if err := tx.NewSelect().Model(u).Where("lower(email) = ?", normalizeEmail(email)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("user by email: %w", mapErr(err))
	}
	return u, nil
}

func createUser(ctx context.Context, tx bun.Tx, now time.Time, name, email string, verified bool) (*User, error) {
	u := &User{Name: clip(name, 200), Role: RoleMember, EmailVerified: verified, CreatedAt: now}
	if email != "" {
		u.Email = &email
	}
	if _, err := tx.NewInsert().Model(u).Returning("id").Exec(ctx); err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// linkIdentity records the identity for the user (once), keeping the
// address the provider last gave.
func linkIdentity(ctx context.Context, tx bun.Tx, now time.Time, userID int64, p Profile) error {
	var email *string
	if p.Email != "" {
		email = &p.Email
	}
	id := &Identity{UserID: userID, Provider: p.Provider, ProviderUserID: p.Subject, Email: email, CreatedAt: now}
	_, err := tx.NewInsert().Model(id).
		On("CONFLICT (provider, provider_user_id) DO UPDATE").
		Set("email = EXCLUDED.email").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("link identity: %w", err)
	}
	return nil
}

// grantRoles makes the user an admin when their verified address is one of
// the configured admin addresses, or when the account is new and the portal
// has no admin at all. It reports whether the second rule applied.
func grantRoles(ctx context.Context, tx bun.Tx, u *User, roles Roles, created bool) (bool, error) {
	if u.Role == RoleAdmin {
		return false, nil
	}
	if u.EmailVerified && roles.isAdminEmail(u.EmailAddress()) {
		u.Role = RoleAdmin
		_, err := tx.NewUpdate().Model(u).Column("role").WherePK().Exec(ctx)
		if err != nil {
			return false, fmt.Errorf("grant admin: %w", err)
		}
		return false, nil
	}
	if !created {
		return false, nil
	}
	res, err := tx.NewUpdate().Model((*User)(nil)).
		Set("role = ?", RoleAdmin).
		Where("id = ?", u.ID).
		Where("NOT EXISTS (SELECT 1 FROM users WHERE role = ?)", RoleAdmin).
		Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("grant first admin: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		u.Role = RoleAdmin
		return true, nil
	}
	return false, nil
}

func normalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// displayName is the provider's name, else the address's local part.
func displayName(name, email string) string {
	if name = strings.TrimSpace(name); name != "" {
		return name
	}
	if local, _, ok := strings.Cut(email, "@"); ok && local != "" {
		return local
	}
	return "Member"
}

func clip(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}
