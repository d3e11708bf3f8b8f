package models_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/cluetrain/cluetrain/migrations"
	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func TestMigrateCreatesSchemaAndIsIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		// Open already migrated once; a second run must change nothing.
		if err := models.Migrate(ctx, db, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		if n, want := dbtest.Count(t, db, "SELECT count(*) FROM bun_migrations"), len(migrations.All.Sorted()); n != want || want < 4 {
			t.Errorf("applied migrations = %d, want all %d", n, want)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM bun_migration_locks"); n != 0 {
			t.Errorf("migration lock rows = %d, want 0 (lock released)", n)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM statuses"); n != 7 {
			t.Errorf("statuses = %d, want 7", n)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM boards WHERE slug = 'feature-requests' AND is_private = ?", false); n != 1 {
			t.Errorf("default public board rows = %d, want 1", n)
		}
		for _, table := range []string{"users", "identities", "ideas", "votes", "comments", "subscriptions", "events", "sessions", "login_tokens", "settings"} {
			if n := dbtest.Count(t, db, "SELECT count(*) FROM "+table); n != 0 {
				t.Errorf("%s has %d rows, want 0", table, n)
			}
		}
		ss, err := models.Statuses(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		var slugs []string
		var roadmap []string
		for _, s := range ss {
			slugs = append(slugs, s.Slug)
			if s.OnRoadmap {
				roadmap = append(roadmap, s.Slug)
			}
		}
		want := "[open under_review planned in_progress done declined duplicate]"
		if got := slugsString(slugs); got != want {
			t.Errorf("statuses = %s, want %s", got, want)
		}
		if got := slugsString(roadmap); got != "[planned in_progress done]" {
			t.Errorf("roadmap statuses = %s", got)
		}
	})
}

func slugsString(s []string) string {
	out := "["
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out + "]"
}

func TestConstraintsHold(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		u := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleMember)
		bad := []struct {
			name, sql string
			args      []any
		}{
			{"unknown role", "UPDATE users SET role = 'owner' WHERE id = ?", []any{u.ID}},
			{"duplicate email, other case", "INSERT INTO users (name, email, role, created_at) VALUES ('B', 'ADA@example.com', 'member', ?)", []any{db.Now()}},
			{"bad status category", "INSERT INTO statuses (slug, name, color, category) VALUES ('x', 'X', '#000000', 'nope')", nil},
			{"idea on unknown board", "INSERT INTO ideas (board_id, author_id, title, slug, status_id, trend_score, created_at, updated_at, last_activity_at) VALUES (999, ?, 't', 't', 1, 0, ?, ?, ?)", []any{u.ID, db.Now(), db.Now(), db.Now()}},
		}
		for _, c := range bad {
			if _, err := db.Bun().Exec(c.sql, c.args...); err == nil {
				t.Errorf("%s: accepted, want a constraint error", c.name)
			}
		}
	})
}
