package models

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// SecretKey returns the portal's signing key, generating and storing it on
// first use. Concurrent first calls agree: the insert does nothing if another
// instance won, and everyone reads the stored value.
func SecretKey(ctx context.Context, db *DB) ([]byte, error) {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return nil, fmt.Errorf("generate secret key: %w", err)
	}
	if _, err := db.bun.ExecContext(ctx,
		"INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
		"secret_key", hex.EncodeToString(buf)); err != nil {
		return nil, fmt.Errorf("store secret key: %w", mapErr(err))
	}
	var stored string
	if err := db.bun.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", "secret_key").Scan(&stored); err != nil {
		return nil, fmt.Errorf("read secret key: %w", mapErr(err))
	}
	key, err := hex.DecodeString(stored)
	if err != nil {
		return nil, fmt.Errorf("stored secret key is not hex: %w", err)
	}
	return key, nil
}
