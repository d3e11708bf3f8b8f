// Package models holds Cluetrain's domain types and their persistence. It is
// the only package that speaks to the database; rules that must hold in the
// database (one vote per user, exact counters, status changes with their
// events) live here, each in one transaction.
package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// DB is an open database of either dialect.
type DB struct {
	bun *bun.DB
	pg  bool
	now func() time.Time

	hooks *hookFlag // whether any webhook is live, cached a moment
}

// Now is the database's clock, in UTC; tests fix it with SetClock.
func (db *DB) Now() time.Time {
	if db.now != nil {
		return db.now().UTC()
	}
	return time.Now().UTC()
}

// SetClock replaces the clock (for tests and deterministic seeding).
func (db *DB) SetClock(now func() time.Time) { db.now = now }

// Bun exposes the underlying handle for tests and tools that need raw SQL.
func (db *DB) Bun() *bun.DB { return db.bun }

// PG reports whether the database is PostgreSQL.
func (db *DB) PG() bool { return db.pg }

// Close closes the pool.
func (db *DB) Close() error { return db.bun.Close() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.bun.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// sqlitePragmas are set in the DSN so that every pooled connection gets them.
// _txlock=immediate makes every transaction take the write lock at BEGIN, so
// concurrent writers queue on busy_timeout instead of failing on lock upgrade.
const sqlitePragmas = "_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate"

// Open connects to a `sqlite:PATH` or `postgres://` URL. An unreachable
// database is retried with backoff until wait has passed.
func Open(ctx context.Context, databaseURL string, wait time.Duration, log *slog.Logger) (*DB, error) {
	var (
		sqldb *sql.DB
		db    *DB
		err   error
	)
	switch {
	case strings.HasPrefix(databaseURL, "sqlite:"):
		path := strings.TrimPrefix(databaseURL, "sqlite:")
		path = strings.TrimPrefix(path, "//")
		if path == "" {
			return nil, errors.New("DATABASE_URL: sqlite: needs a file path")
		}
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("create database folder: %w", err)
			}
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		sqldb, err = sql.Open("sqlite", "file:"+path+sep+sqlitePragmas)
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		// WAL lets readers run beside the one writer; a handful of
		// connections is plenty for an embedded file.
		sqldb.SetMaxOpenConns(8)
		sqldb.SetMaxIdleConns(8)
		db = &DB{bun: bun.NewDB(sqldb, sqlitedialect.New()), hooks: &hookFlag{}}
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		if _, err := url.Parse(databaseURL); err != nil {
			return nil, fmt.Errorf("DATABASE_URL: %w", err)
		}
		sqldb, err = sql.Open("pgx", databaseURL)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		sqldb.SetMaxOpenConns(20)
		sqldb.SetMaxIdleConns(10)
		sqldb.SetConnMaxIdleTime(5 * time.Minute)
		db = &DB{bun: bun.NewDB(sqldb, pgdialect.New()), pg: true, hooks: &hookFlag{}}
	default:
		return nil, fmt.Errorf("DATABASE_URL: unknown scheme in %q (want sqlite:PATH or postgres://...)", redact(databaseURL))
	}

	deadline := time.Now().Add(wait)
	backoff := 250 * time.Millisecond
	for {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = db.Ping(pctx)
		cancel()
		if err == nil {
			return db, nil
		}
		if time.Now().Add(backoff).After(deadline) || ctx.Err() != nil {
			_ = db.Close()
			return nil, fmt.Errorf("database %s did not answer within %s: %w", redact(databaseURL), wait, err)
		}
		if log != nil {
			log.Warn("database not answering, retrying", "in", backoff, "err", err)
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
		}
		backoff = min(backoff*2, 4*time.Second)
	}
}

// redact hides a password in a database URL before it is printed.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// inTx runs fn in one write transaction and maps driver errors.
func (db *DB) inTx(ctx context.Context, fn func(tx bun.Tx) error) error {
	err := db.bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return fn(tx) })
	return mapErr(err)
}

// WithQueryHook returns a DB on the same pool whose queries also pass through
// hook (tests count and explain queries this way).
func (db *DB) WithQueryHook(hook bun.QueryHook) *DB {
	c := *db
	c.bun = db.bun.WithQueryHook(hook)
	return &c
}
