// Package dbtest gives each test a fresh, migrated database: SQLite always,
// and PostgreSQL too whenever TEST_DATABASE_URL is set, each test in a schema
// of its own. Under CI=true a missing TEST_DATABASE_URL fails the test
// instead of skipping it.
package dbtest

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
)

// Dialects names the databases the tests run on.
var Dialects = []string{"sqlite", "postgres"}

// Each runs fn once per dialect as subtests named "sqlite" and "postgres".
func Each(t *testing.T, fn func(t *testing.T, db *models.DB)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// PostgresURL returns TEST_DATABASE_URL, skipping the test when it is not
// set (or failing it under CI=true).
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TEST_DATABASE_URL is not set, and CI=true requires the PostgreSQL tests to run")
		}
		t.Skip("TEST_DATABASE_URL is not set; skipping PostgreSQL")
	}
	return u
}

// URL returns a DATABASE_URL for a fresh, empty database of the dialect,
// dropped when the test ends.
func URL(t testing.TB, dialect string) string {
	t.Helper()
	switch dialect {
	case "sqlite":
		return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	case "postgres":
		base := PostgresURL(t)
		schema := "t_" + strings.ToLower(rand.Text())
		admin, err := models.Open(context.Background(), base, 10*time.Second, nil)
		if err != nil {
			t.Fatalf("connect to TEST_DATABASE_URL: %v", err)
		}
		if _, err := admin.Bun().Exec("CREATE SCHEMA " + schema); err != nil {
			t.Fatalf("create schema: %v", err)
		}
		t.Cleanup(func() {
			if _, err := admin.Bun().Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
				t.Errorf("drop schema %s: %v", schema, err)
			}
			if err := admin.Close(); err != nil {
				t.Errorf("close the admin connection: %v", err)
			}
		})
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("TEST_DATABASE_URL: %v", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	t.Fatalf("unknown dialect %q", dialect)
	return ""
}

// Open returns a migrated database of the dialect, closed when the test ends.
func Open(t testing.TB, dialect string) *models.DB {
	t.Helper()
	db, err := models.Open(context.Background(), URL(t, dialect), 10*time.Second, nil)
	if err != nil {
		t.Fatalf("open %s: %v", dialect, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close %s: %v", dialect, err)
		}
	})
	if err := models.Migrate(context.Background(), db, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("migrate %s: %v", dialect, err)
	}
	return db
}

// Count runs a SELECT count(*) ... and returns the number.
func Count(t testing.TB, db *models.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Bun().QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// Analyze refreshes the query planner's statistics, as a database in use
// has them, so that plans and timings are those of a real portal.
func Analyze(t testing.TB, db *models.DB) {
	t.Helper()
	if _, err := db.Bun().Exec("ANALYZE"); err != nil {
		t.Fatalf("analyze: %v", err)
	}
}

// Fixed is the clock tests run at.
var Fixed = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// Clock is a settable clock for tests.
type Clock struct{ T time.Time }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { return c.T }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.T = c.T.Add(d) }

// FixClock sets db's clock to a Clock starting at Fixed and returns it.
func FixClock(db *models.DB) *Clock {
	c := &Clock{T: Fixed}
	db.SetClock(c.Now)
	return c
}
