package models_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/uptrace/bun/migrate"

	"github.com/cluetrain/cluetrain/migrations"
	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// publicEventsMigration adds events.is_public, its trigger and indexes.
const publicEventsMigration = "20260101000060"

// TestPublicEventsMigrationBackfills migrates a database up to just before
// events.is_public, writes events the way they were written then, and
// checks that migrating the rest marks public exactly the events of public
// ideas on public boards (and of public boards), judged by today's state.
func TestPublicEventsMigrationBackfills(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			db, err := models.Open(ctx, dbtest.URL(t, dialect), 10*time.Second, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = db.Close() })
			before := migrate.NewMigrations()
			for _, m := range migrations.All.Sorted() {
				if m.Name < publicEventsMigration {
					before.Add(m)
				}
			}
			m := migrate.NewMigrator(db.Bun(), before, migrate.WithMarkAppliedOnSuccess(true),
				migrate.WithTemplateData(migrations.TemplateData{PG: db.PG()}))
			if err := m.Init(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Migrate(ctx); err != nil {
				t.Fatalf("migrate to before %s: %v", publicEventsMigration, err)
			}

			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := db.Bun().ExecContext(ctx, q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			exec("INSERT INTO users (name, role, created_at) VALUES ('Ada', 'member', ?)", now)
			exec("INSERT INTO boards (slug, name, is_private, created_at) VALUES ('secret', 'Secret', TRUE, ?)", now)
			var public, secret int64
			_ = db.Bun().QueryRow("SELECT id FROM boards WHERE slug = 'feature-requests'").Scan(&public)
			_ = db.Bun().QueryRow("SELECT id FROM boards WHERE slug = 'secret'").Scan(&secret)
			idea := func(board int64, hidden bool) int64 {
				var at any
				if hidden {
					at = now
				}
				exec(`INSERT INTO ideas (board_id, author_id, title, slug, status_id, trend_score, hidden_at, created_at, updated_at, last_activity_at)
					VALUES (?, 1, 'T', 't', 1, 0, ?, ?, ?, ?)`, board, at, now, now, now)
				var id int64
				_ = db.Bun().QueryRow("SELECT max(id) FROM ideas").Scan(&id)
				return id
			}
			shown, hidden, private := idea(public, false), idea(public, true), idea(secret, false)
			event := func(kind string, idea, board int64) {
				var i any
				if idea != 0 {
					i = idea
				}
				exec("INSERT INTO events (kind, idea_id, board_id, payload, created_at) VALUES (?, ?, ?, '{}', ?)", kind, i, board, now)
			}
			event(models.EventIdeaCreated, shown, public)     // 1: public
			event(models.EventCommented, hidden, public)      // 2: on a hidden idea
			event(models.EventIdeaHidden, hidden, public)     // 3: the hiding itself shows
			event(models.EventStatusChanged, private, secret) // 4: private board
			event(models.EventBoardUpdated, 0, public)        // 5: public board
			event(models.EventBoardCreated, 0, secret)        // 6: private board

			if err := models.Migrate(ctx, db, nil); err != nil {
				t.Fatal(err)
			}
			var got []int64
			if err := db.Bun().NewSelect().Table("events").Column("id").Where("is_public = ?", true).Order("id").Scan(ctx, &got); err != nil {
				t.Fatal(err)
			}
			if want := []int64{1, 3, 5}; !slices.Equal(got, want) {
				t.Errorf("public events %v, want %v", got, want)
			}
			// From now on the trigger decides, for any writer.
			event(models.EventCommented, private, secret)
			event(models.EventCommented, shown, public)
			if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE id > 6 AND is_public = ?", true); n != 1 {
				t.Errorf("%d of the new events are public, want 1", n)
			}
		})
	}
}
