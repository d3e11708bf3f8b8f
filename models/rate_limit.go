package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// LimitHit is where a key stands in its limit's current window.
type LimitHit struct {
	Hits    int       // hits in this window, this one included
	ResetAt time.Time // when the window ends
}

// HitLimit counts one hit of key against the named limit in fixed windows
// of the given length, in the database, so that every instance counts
// together. It is one upsert: a row left from an earlier window starts
// again at one.
func HitLimit(ctx context.Context, db *DB, name, key string, window time.Duration) (LimitHit, error) {
	now := db.Now()
	secs := int64(window / time.Second)
	if secs < 1 {
		secs = 1
	}
	start := now.Unix() / secs * secs
	reset := time.Unix(start+secs, 0).UTC()
	sum := sha256.Sum256([]byte(name + "\x00" + key))
	bucket := name + ":" + hex.EncodeToString(sum[:16])
	var hit LimitHit
	err := db.bun.QueryRowContext(ctx, `INSERT INTO rate_limits (bucket, window_start, hits, expires_at) VALUES (?, ?, 1, ?)
ON CONFLICT (bucket) DO UPDATE SET
  hits = CASE WHEN rate_limits.window_start = excluded.window_start THEN rate_limits.hits + 1 ELSE 1 END,
  window_start = excluded.window_start,
  expires_at = excluded.expires_at
RETURNING hits`, bucket, start, reset).Scan(&hit.Hits)
	if err != nil {
		return LimitHit{}, fmt.Errorf("count %s hit: %w", name, mapErr(err))
	}
	hit.ResetAt = reset
	return hit, nil
}

// UseOnce records the first use of key under name, to be remembered until
// the given time, and reports whether this was that first use: any later
// use, on any instance, is refused. It shares the limits' table, so the
// same upkeep forgets it once it no longer matters.
func UseOnce(ctx context.Context, db *DB, name, key string, until time.Time) (bool, error) {
	sum := sha256.Sum256([]byte(name + "\x00" + key))
	bucket := name + ":" + hex.EncodeToString(sum[:16])
	var hits int
	err := db.bun.QueryRowContext(ctx, `INSERT INTO rate_limits (bucket, window_start, hits, expires_at) VALUES (?, 0, 1, ?)
ON CONFLICT (bucket) DO UPDATE SET hits = rate_limits.hits + 1
RETURNING hits`, bucket, until.UTC()).Scan(&hits)
	if err != nil {
		return false, fmt.Errorf("record %s use: %w", name, mapErr(err))
	}
	return hits == 1, nil
}

// PurgeLimits deletes the counters whose window has ended.
func PurgeLimits(ctx context.Context, db *DB) (int64, error) {
	res, err := db.bun.NewDelete().Table("rate_limits").Where("expires_at < ?", db.Now()).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("purge rate limits: %w", mapErr(err))
	}
	n, _ := res.RowsAffected()
	return n, nil
}
