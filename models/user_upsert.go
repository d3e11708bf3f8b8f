package models

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// UserUpsert is what the company's systems (the API, single sign-on) say
// about a customer. Nil fields are left as they are.
type UserUpsert struct {
	Email      string // required; finds the person when ExternalID does not
	ExternalID *string
	Name       *string
	Company    *string
	Plan       *string
	MRRCents   *int64
	AvatarURL  *string
	// Verified: the company vouches for the address (single sign-on), so
	// it counts as proven.
	Verified bool
}

// validate cleans the input and names every bad field.
func (in *UserUpsert) validate() error {
	ve := &ValidationError{}
	in.Email = normalizeEmail(in.Email)
	if a, err := mail.ParseAddress(in.Email); in.Email == "" || err != nil || a.Address != in.Email || len(in.Email) > 254 {
		ve.Add("email", "Give a valid email address.")
	}
	text := func(field string, p *string, max int) {
		if p == nil {
			return
		}
		*p = cleanLine(*p)
		if utf8.RuneCountInString(*p) > max {
			ve.Add(field, fmt.Sprintf("Keep it to %d characters or fewer.", max))
		}
	}
	text("external_id", in.ExternalID, 200)
	text("name", in.Name, 200)
	text("company", in.Company, 200)
	text("plan", in.Plan, 100)
	if in.ExternalID != nil && *in.ExternalID == "" {
		in.ExternalID = nil
	}
	if in.MRRCents != nil && (*in.MRRCents < 0 || *in.MRRCents > 1e13) {
		ve.Add("mrr", "Give a monthly revenue of zero or more.")
	}
	if in.AvatarURL != nil && *in.AvatarURL != "" && (!strings.HasPrefix(*in.AvatarURL, "https://") || len(*in.AvatarURL) > 2000) {
		ve.Add("avatar_url", "Give an https URL.")
	}
	return ve.Err()
}

// UpsertUser creates or updates a customer as the company's systems describe
// them, in one transaction: found by external id first, then by email. It
// reports whether the person is new. An address another account holds is
// refused on "email".
func UpsertUser(ctx context.Context, db *DB, in UserUpsert) (*User, bool, error) {
	if err := in.validate(); err != nil {
		return nil, false, err
	}
	var (
		u       *User
		created bool
	)
	err := db.inTx(ctx, func(tx bun.Tx) error {
		var err error
		if in.ExternalID != nil {
			u = new(User)
			err = tx.NewSelect().Model(u).Where("external_id = ?", *in.ExternalID).Scan(ctx)
			if err = mapErr(err); errors.Is(err, ErrNotFound) {
				u = nil
			} else if err != nil {
				return err
			}
		}
		byEmail, err := userByEmailTx(ctx, tx, in.Email)
		switch {
		case errors.Is(err, ErrNotFound):
			byEmail = nil
		case err != nil:
			return err
		}
		switch {
		case u == nil && byEmail != nil:
			u = byEmail
		case u != nil && byEmail != nil && byEmail.ID != u.ID:
			return &ValidationError{Fields: map[string]string{"email": "Another person has this address."}}
		}
		if u == nil {
			name := in.Email
			if in.Name != nil {
				name = *in.Name
			}
			if u, err = createUser(ctx, tx, db.Now(), displayName(name, in.Email), in.Email, in.Verified); err != nil {
				return err
			}
			created = true
		}
		if u.ExternalID != nil && in.ExternalID != nil && *u.ExternalID != *in.ExternalID {
			return &ValidationError{Fields: map[string]string{"external_id": "This person already has another external id."}}
		}
		email := in.Email
		u.Email = &email
		if in.Verified {
			u.EmailVerified = true
		}
		if in.ExternalID != nil {
			u.ExternalID = in.ExternalID
		}
		if in.Name != nil && *in.Name != "" {
			u.Name = *in.Name
		}
		if in.AvatarURL != nil {
			u.AvatarURL = *in.AvatarURL
		}
		revenueChanged, formerCompany := false, u.Company
		if in.Company != nil && *in.Company != u.Company {
			u.Company, revenueChanged = *in.Company, true
		}
		if in.Plan != nil && *in.Plan != u.Plan {
			u.Plan, revenueChanged = *in.Plan, true
		}
		if in.MRRCents != nil && *in.MRRCents != u.MRRCents {
			u.MRRCents, revenueChanged = *in.MRRCents, true
		}
		_, err = tx.NewUpdate().Model(u).
			Column("email", "email_verified", "external_id", "name", "avatar_url", "company", "plan", "mrr_cents").
			WherePK().Exec(ctx)
		if err != nil {
			if errors.Is(mapErr(err), ErrConflict) {
				return &ValidationError{Fields: map[string]string{"external_id": "Another person has this external id."}}
			}
			return fmt.Errorf("update user: %w", err)
		}
		if revenueChanged && !created {
			// The revenue at stake on the ideas this person (and their
			// company, old and new) voted for follows them, in this
			// transaction.
			return RecountRevenue(ctx, tx, u.ID, formerCompany)
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("upsert user %s: %w", in.Email, err)
	}
	return u, created, nil
}
