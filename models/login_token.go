package models

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// LoginLinkLifetime is how long an emailed sign-in link works.
const LoginLinkLifetime = 15 * time.Minute

var (
	// ErrLinkUsed is returned for a sign-in link that was already followed.
	ErrLinkUsed = errors.New("sign-in link already used")
	// ErrLinkExpired is returned for a sign-in link past its lifetime.
	ErrLinkExpired = errors.New("sign-in link expired")
)

// LoginToken is an emailed sign-in link, stored only as a hash of its token,
// with a hash of a secret held by the browser that asked for it.
type LoginToken struct {
	bun.BaseModel `bun:"table:login_tokens"`

	TokenHash   string     `bun:"token_hash,pk"`
	Email       string     `bun:"email"`
	NextPath    string     `bun:"next_path"`
	BrowserHash string     `bun:"browser_hash"`
	ExpiresAt   time.Time  `bun:"expires_at"`
	UsedAt      *time.Time `bun:"used_at"`
	CreatedAt   time.Time  `bun:"created_at"`
}

// CheckEmail normalizes an address typed into a form, or returns a
// *ValidationError for the field "email".
func CheckEmail(raw string) (string, error) {
	email := normalizeEmail(raw)
	var v ValidationError
	switch {
	case email == "":
		v.Add("email", "Enter your email address.")
	case len(email) > 254:
		v.Add("email", "That address is too long.")
	default:
		a, err := mail.ParseAddress(email)
		if err != nil || a.Address != email || !strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") {
			v.Add("email", "Enter an address like name@example.com.")
		}
	}
	return email, v.Err()
}

// CreateLoginLink stores a new single-use sign-in link for the address and
// returns its token (256 random bits; only a hash is kept). next is where to
// go after signing in and must already be a safe local path. browser is a
// secret the requesting browser keeps in a cookie (only its hash is kept),
// so the link can tell where it was asked for. Older links of the address
// that are still unused stop working: only the newest one signs in.
func CreateLoginLink(ctx context.Context, db *DB, email, next, browser string) (string, error) {
	email, err := CheckEmail(email)
	if err != nil {
		return "", err
	}
	if next == "" || len(next) > 2000 {
		next = "/"
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("create login link: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(buf)
	now := db.Now()
	lt := &LoginToken{TokenHash: hashToken(token), Email: email, NextPath: next, ExpiresAt: now.Add(LoginLinkLifetime), CreatedAt: now}
	if browser != "" {
		lt.BrowserHash = hashToken(browser)
	}
	err = db.inTx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewUpdate().Model((*LoginToken)(nil)).Set("expires_at = ?", now).
			Where("email = ?", email).Where("used_at IS NULL").Where("expires_at > ?", now).Exec(ctx); err != nil {
			return fmt.Errorf("retire older links: %w", err)
		}
		_, err := tx.NewInsert().Model(lt).Exec(ctx)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("create login link: %w", mapErr(err))
	}
	return token, nil
}

// LoginLinkByToken finds a sign-in link that can still be used, without
// spending it: a used one fails with ErrLinkUsed, a late or retired one
// with ErrLinkExpired, an unknown one with ErrNotFound.
func LoginLinkByToken(ctx context.Context, db *DB, token string) (*LoginToken, error) {
	if token == "" || len(token) > 100 {
		return nil, fmt.Errorf("login link: %w", ErrNotFound)
	}
	lt := new(LoginToken)
	if err := db.bun.NewSelect().Model(lt).Where("token_hash = ?", hashToken(token)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("login link: %w", mapErr(err))
	}
	if err := lt.usable(db.Now()); err != nil {
		return nil, fmt.Errorf("login link: %w", err)
	}
	return lt, nil
}

// OpenedIn reports whether browser is the secret of the browser that asked
// for the link.
func (lt *LoginToken) OpenedIn(browser string) bool {
	return browser != "" && lt.BrowserHash != "" &&
		subtle.ConstantTimeCompare([]byte(hashToken(browser)), []byte(lt.BrowserHash)) == 1
}

func (lt *LoginToken) usable(now time.Time) error {
	switch {
	case lt.UsedAt != nil:
		return ErrLinkUsed
	case !now.Before(lt.ExpiresAt):
		return ErrLinkExpired
	}
	return nil
}

// UseLoginLink spends a sign-in link: it is marked used (a second use fails
// with ErrLinkUsed, a late or retired one with ErrLinkExpired, an unknown one with
// ErrNotFound), the address is marked verified, and its account signs in,
// made first if there is none. It returns the account and where to go next.
func UseLoginLink(ctx context.Context, db *DB, token string, roles Roles) (*SignedIn, string, error) {
	if token == "" || len(token) > 100 {
		return nil, "", fmt.Errorf("use login link: %w", ErrNotFound)
	}
	res := &SignedIn{}
	var next string
	err := db.inTx(ctx, func(tx bun.Tx) error {
		now := db.Now()
		lt := new(LoginToken)
		if err := tx.NewSelect().Model(lt).Where("token_hash = ?", hashToken(token)).Scan(ctx); err != nil {
			return mapErr(err)
		}
		if err := lt.usable(now); err != nil {
			return err
		}
		// Only one of two racing uses may mark the link.
		r, err := tx.NewUpdate().Model(lt).Set("used_at = ?", now).
			Where("token_hash = ?", lt.TokenHash).Where("used_at IS NULL").Exec(ctx)
		if err != nil {
			return fmt.Errorf("mark link used: %w", err)
		}
		if n, _ := r.RowsAffected(); n != 1 {
			return ErrLinkUsed
		}
		next = lt.NextPath

		user, created, err := accountForVerifiedEmail(ctx, tx, now, lt.Email, "")
		if err != nil {
			return err
		}
		res.Created = created
		res.FirstAdmin, err = grantRoles(ctx, tx, user, roles, res.Created)
		res.User = user
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("use login link: %w", err)
	}
	return res, next, nil
}
