package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// API key scopes: a read key may only read.
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
)

// apiKeyPrefix starts every key, so a leaked one is recognisable.
const apiKeyPrefix = "ctk_"

// APIKey lets a program use the API. It acts through a staff account of its
// own, named "API: NAME", so every permission check and every event says
// who did what. Only a hash of the key is stored.
type APIKey struct {
	bun.BaseModel `bun:"table:api_keys"`

	ID        int64      `bun:"id,pk,autoincrement"`
	Name      string     `bun:"name"`
	Prefix    string     `bun:"prefix"` // the key's first characters, to tell keys apart
	Hash      string     `bun:"hash"`
	Scope     string     `bun:"scope"`
	UserID    int64      `bun:"user_id"`
	CreatedAt time.Time  `bun:"created_at"`
	RevokedAt *time.Time `bun:"revoked_at"`

	User *User `bun:"rel:belongs-to,join:user_id=id"`
}

// CanWrite reports whether the key may change things.
func (k *APIKey) CanWrite() bool { return k.Scope == ScopeWrite }

func hashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// CreateAPIKey makes a key and its staff account, and returns the key: the
// only time it is ever seen.
func CreateAPIKey(ctx context.Context, db *DB, name, scope string) (*APIKey, string, error) {
	name = cleanLine(name)
	ve := &ValidationError{}
	switch l := utf8.RuneCountInString(name); {
	case l == 0:
		ve.Add("name", "Give the key a name.")
	case l > 80:
		ve.Add("name", "Keep the name to 80 characters or fewer.")
	}
	if scope == "" {
		scope = ScopeWrite
	}
	if scope != ScopeRead && scope != ScopeWrite {
		ve.Add("scope", fmt.Sprintf("%q is not a scope: use read or write", scope))
	}
	if err := ve.Err(); err != nil {
		return nil, "", err
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", fmt.Errorf("make api key: %w", err)
	}
	token := apiKeyPrefix + base64.RawURLEncoding.EncodeToString(raw)
	key := &APIKey{Name: name, Prefix: token[:len(apiKeyPrefix)+6], Hash: hashAPIKey(token), Scope: scope}
	err := db.inTx(ctx, func(tx bun.Tx) error {
		now := db.Now()
		u := &User{Name: "API: " + name, Role: RoleStaff, CreatedAt: now}
		if _, err := tx.NewInsert().Model(u).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("create key account: %w", err)
		}
		key.UserID, key.CreatedAt, key.User = u.ID, now, u
		if _, err := tx.NewInsert().Model(key).Exec(ctx); err != nil {
			if errors.Is(mapErr(err), ErrConflict) {
				ve.Add("name", fmt.Sprintf("A key named %q exists already.", name))
				return ve
			}
			return fmt.Errorf("insert api key: %w", err)
		}
		return recordAudit(ctx, tx, now, EventAPIKeyCreated, actorOf(ctx), "API key "+key.Prefix+"…", fmt.Sprintf("Created %q (%s)", name, scope))
	})
	if err != nil {
		return nil, "", fmt.Errorf("create api key: %w", err)
	}
	return key, token, nil
}

// APIKeys lists every key, live ones first, newest first.
func APIKeys(ctx context.Context, db *DB) ([]APIKey, error) {
	var keys []APIKey
	err := db.bun.NewSelect().Model(&keys).
		OrderExpr("CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END, id DESC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", mapErr(err))
	}
	return keys, nil
}

// RevokeAPIKey revokes the live key named by its id, name or prefix; its
// account is blocked with it, so nothing acts in its name any more.
func RevokeAPIKey(ctx context.Context, db *DB, which string) (*APIKey, error) {
	key := new(APIKey)
	err := db.inTx(ctx, func(tx bun.Tx) error {
		q := tx.NewSelect().Model(key).Where("revoked_at IS NULL")
		if id, err := strconv.ParseInt(which, 10, 64); err == nil {
			q = q.Where("id = ?", id)
		} else {
			q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
				return q.Where("name = ?", which).WhereOr("prefix = ?", which)
			})
		}
		if err := q.Limit(1).Scan(ctx); err != nil {
			return mapErr(err)
		}
		now := db.Now()
		key.RevokedAt = &now
		if _, err := tx.NewUpdate().Model(key).Column("revoked_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewUpdate().Table("users").Set("blocked_at = COALESCE(blocked_at, ?)", now).
			Where("id = ?", key.UserID).Exec(ctx)
		if err != nil {
			return err
		}
		return recordAudit(ctx, tx, now, EventAPIKeyRevoked, actorOf(ctx), "API key "+key.Prefix+"…", fmt.Sprintf("Revoked %q", key.Name))
	})
	if err != nil {
		return nil, fmt.Errorf("revoke api key %q: %w", which, err)
	}
	return key, nil
}

// APIKeyByToken finds the live key a request presents, with its account.
// Unknown, malformed and revoked keys are all ErrNotFound.
func APIKeyByToken(ctx context.Context, db *DB, token string) (*APIKey, error) {
	if !strings.HasPrefix(token, apiKeyPrefix) || len(token) > 100 {
		return nil, ErrNotFound
	}
	key := new(APIKey)
	err := db.bun.NewSelect().Model(key).Relation("User").
		Where("api_key.hash = ?", hashAPIKey(token)).Where("api_key.revoked_at IS NULL").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("api key: %w", mapErr(err))
	}
	return key, nil
}
