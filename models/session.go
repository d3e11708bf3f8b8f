package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// SessionStorage keeps web sessions in the database so that any number of
// instances can serve one portal. It has the shape of a fiber.Storage. Ids
// are stored only as SHA-256 hashes: a leaked table signs nobody in.
type SessionStorage struct {
	db *DB
}

// NewSessionStorage returns storage over db.
func NewSessionStorage(db *DB) *SessionStorage { return &SessionStorage{db: db} }

func hashToken(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// Get returns a live session's data, or nil when there is none.
func (s *SessionStorage) Get(id string) ([]byte, error) {
	if id == "" {
		return nil, nil
	}
	var data []byte
	err := s.db.bun.QueryRowContext(context.Background(),
		"SELECT data FROM sessions WHERE id = ? AND expires_at > ?", hashToken(id), s.db.Now()).Scan(&data)
	if err = mapErr(err); errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	return data, nil
}

// Set stores a session's data until exp from now.
func (s *SessionStorage) Set(id string, data []byte, exp time.Duration) error {
	if id == "" || len(data) == 0 {
		return nil
	}
	if exp <= 0 {
		exp = 30 * 24 * time.Hour
	}
	_, err := s.db.bun.ExecContext(context.Background(),
		"INSERT INTO sessions (id, data, expires_at) VALUES (?, ?, ?) "+
			"ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
		hashToken(id), data, s.db.Now().Add(exp))
	if err != nil {
		return fmt.Errorf("save session: %w", mapErr(err))
	}
	return nil
}

// Delete removes a session.
func (s *SessionStorage) Delete(id string) error {
	if id == "" {
		return nil
	}
	if _, err := s.db.bun.ExecContext(context.Background(), "DELETE FROM sessions WHERE id = ?", hashToken(id)); err != nil {
		return fmt.Errorf("delete session: %w", mapErr(err))
	}
	return nil
}

// Reset removes every session.
func (s *SessionStorage) Reset() error {
	_, err := s.db.bun.ExecContext(context.Background(), "DELETE FROM sessions")
	return mapErr(err)
}

// Close does nothing: the pool belongs to the DB.
func (s *SessionStorage) Close() error { return nil }

// PurgeExpired deletes sessions and sign-in links past their expiry and
// returns how many rows went.
func PurgeExpired(ctx context.Context, db *DB) (int64, error) {
	now := db.Now()
	var total int64
	for _, q := range []string{
		"DELETE FROM sessions WHERE expires_at <= ?",
		"DELETE FROM login_tokens WHERE expires_at <= ?",
	} {
		res, err := db.bun.ExecContext(ctx, q, now)
		if err != nil {
			return total, fmt.Errorf("purge expired: %w", mapErr(err))
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}

// CountSessions counts stored sessions (live or not).
func CountSessions(ctx context.Context, db *DB) (int, error) {
	var n int
	err := db.bun.QueryRowContext(ctx, "SELECT count(*) FROM sessions").Scan(&n)
	return n, mapErr(err)
}
