package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Roles, from most to least powerful.
const (
	RoleAdmin  = "admin"
	RoleStaff  = "staff"
	RoleMember = "member"
)

// User is a person with an account.
type User struct {
	bun.BaseModel `bun:"table:users"`

	ID            int64      `bun:"id,pk,autoincrement"`
	Name          string     `bun:"name"`
	Email         *string    `bun:"email"`
	EmailVerified bool       `bun:"email_verified"`
	AvatarURL     string     `bun:"avatar_url"`
	Role          string     `bun:"role"`
	BlockedAt     *time.Time `bun:"blocked_at"`
	CreatedAt     time.Time  `bun:"created_at"`

	// What the person wants mailed (notifications are kept in the portal
	// either way): status changes and responses, comments, and for staff
	// a daily digest of new ideas.
	NotifyStatus   bool `bun:"notify_status,default:true"`
	NotifyComments bool `bun:"notify_comments,default:true"`
	NotifyDigest   bool `bun:"notify_digest"`

	// Who the person is to the company, from single sign-on, the API or
	// OpenID Connect claims; staff see these, customers never see others'.
	ExternalID *string `bun:"external_id"` // their id in the company's own app
	Company    string  `bun:"company"`
	Plan       string  `bun:"plan"`
	MRRCents   int64   `bun:"mrr_cents"` // monthly recurring revenue, in cents
}

// Mailable reports whether mail may be sent to the person: they have an
// address someone vouched for.
func (u *User) Mailable() bool { return u.Email != nil && *u.Email != "" && u.EmailVerified }

// WantsMailAbout reports whether the person wants mail about events of
// the kind.
func (u *User) WantsMailAbout(kind string) bool {
	if kind == EventCommented {
		return u.NotifyComments
	}
	return u.NotifyStatus
}

// IsStaff reports whether the user answers for the company (staff or admin).
func (u *User) IsStaff() bool {
	return u != nil && (u.Role == RoleStaff || u.Role == RoleAdmin) && u.BlockedAt == nil
}

// IsAdmin reports whether the user runs the portal.
func (u *User) IsAdmin() bool { return u != nil && u.Role == RoleAdmin && u.BlockedAt == nil }

// CanWrite reports whether the user may post, vote and comment.
func (u *User) CanWrite() bool { return u != nil && u.BlockedAt == nil }

// EmailAddress is the email or "".
func (u *User) EmailAddress() string {
	if u == nil || u.Email == nil {
		return ""
	}
	return *u.Email
}

// Initial is the first letter of the name, for avatar placeholders.
func (u *User) Initial() string {
	for _, r := range strings.TrimSpace(u.Name) {
		return strings.ToUpper(string(r))
	}
	return "?"
}

// UserByID loads one user.
func UserByID(ctx context.Context, db *DB, id int64) (*User, error) {
	u := new(User)
	if err := db.bun.NewSelect().Model(u).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("user %d: %w", id, mapErr(err))
	}
	return u, nil
}

// UserByEmail loads a user by email, case-insensitively.
func UserByEmail(ctx context.Context, db *DB, email string) (*User, error) {
	u := new(User)
	err := db.bun.NewSelect().Model(u).Where("lower(email) = ?", strings.ToLower(strings.TrimSpace(email))).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("user by email: %w", mapErr(err))
	}
	return u, nil
}

// ListUsers lists every account, admins first, then staff, then members,
// each oldest first.
func ListUsers(ctx context.Context, db *DB) ([]User, error) {
	var users []User
	err := db.bun.NewSelect().Model(&users).
		OrderExpr("CASE role WHEN ? THEN 0 WHEN ? THEN 1 ELSE 2 END, id", RoleAdmin, RoleStaff).
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", mapErr(err))
	}
	return users, nil
}

// SetUserRole gives the account holding the address a role. Staff and admin
// go only to an address its owner has proven: an account whose provider
// did not vouch for its address may be anyone's, and would keep the role
// when the real owner signs in and takes the address (see
// accountForVerifiedEmail). Making an account a member is always allowed.
func SetUserRole(ctx context.Context, db *DB, email, role string) (*User, error) {
	switch role {
	case RoleAdmin, RoleStaff, RoleMember:
	default:
		v := &ValidationError{}
		v.Add("role", fmt.Sprintf("%q is not a role: use admin, staff or member", role))
		return nil, v
	}
	return updateUserByEmail(ctx, db, email, role != RoleMember, func(u *User) (string, string) {
		return EventRoleChanged, "Role " + u.Role + " → " + role
	}, "role = ?", role)
}

// BlockUser stops the account holding the address from writing; it can
// still sign in and read. Like a role, a block goes only to a verified
// address, so that it reaches the person the address names.
func BlockUser(ctx context.Context, db *DB, email string) (*User, error) {
	return updateUserByEmail(ctx, db, email, true, func(*User) (string, string) { return EventUserBlocked, "Blocked" },
		"blocked_at = COALESCE(blocked_at, ?)", db.Now())
}

// UnblockUser lets a blocked account write again, if its address is
// verified.
func UnblockUser(ctx context.Context, db *DB, email string) (*User, error) {
	return updateUserByEmail(ctx, db, email, true, func(*User) (string, string) { return EventUserUnblocked, "Unblocked" },
		"blocked_at = NULL")
}

// updateUserByEmail changes the account holding the address. With verified,
// an account whose address is not verified is refused with a
// *ValidationError on "email".
//
// audit names the event the change is recorded as, in the same
// transaction, and what it did to the account as found.
func updateUserByEmail(ctx context.Context, db *DB, email string, verified bool, audit func(*User) (kind, summary string), set string, args ...any) (*User, error) {
	var u *User
	err := db.inTx(ctx, func(tx bun.Tx) error {
		found, err := userByEmailTx(ctx, tx, email)
		if err != nil {
			return err
		}
		if verified && !found.EmailVerified {
			v := &ValidationError{}
			v.Add("email", fmt.Sprintf("The address %s is not verified: its account can't be given a role or blocked "+
				"until its owner proves it by signing in with an emailed link or a provider that vouches for it.", found.EmailAddress()))
			return v
		}
		kind, summary := audit(found)
		if _, err := tx.NewUpdate().Model(found).Set(set, args...).WherePK().Exec(ctx); err != nil {
			return err
		}
		if err := recordAudit(ctx, tx, db.Now(), kind, actorOf(ctx), "Account "+found.EmailAddress(), summary); err != nil {
			return err
		}
		u = new(User)
		return tx.NewSelect().Model(u).Where("id = ?", found.ID).Scan(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("update user %s: %w", email, err)
	}
	return u, nil
}

// StaffUsers lists the admins and staff, admins first, each oldest first.
func StaffUsers(ctx context.Context, db *DB) ([]User, error) {
	var users []User
	err := db.bun.NewSelect().Model(&users).
		Where("role IN (?, ?)", RoleAdmin, RoleStaff).
		OrderExpr("CASE role WHEN ? THEN 0 ELSE 1 END, id", RoleAdmin).
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", mapErr(err))
	}
	return users, nil
}
