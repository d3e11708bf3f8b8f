package models_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"github.com/cluetrain/cluetrain/app/markdown"
	"github.com/cluetrain/cluetrain/migrations"
	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// summaryMigration is the migration that adds and backfills ideas.summary.
const summaryMigration = "20260101000050"

// TestSummaryMigrationBackfills migrates a database up to just before the
// summary migration, stores ideas the way they were stored then, and checks
// that migrating the rest gives each a summary of its sanitized body.
func TestSummaryMigrationBackfills(t *testing.T) {
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
				if m.Name < summaryMigration {
					before.Add(m)
				}
			}
			m := migrate.NewMigrator(db.Bun(), before, migrate.WithMarkAppliedOnSuccess(true),
				migrate.WithTemplateData(migrations.TemplateData{PG: db.PG()}))
			if err := m.Init(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Migrate(ctx); err != nil {
				t.Fatalf("migrate to before %s: %v", summaryMigration, err)
			}

			hostile := markdown.Render("Hello <img src=x onerror=alert(1)> [link](javascript:alert(1)) AT&amp;T **bold**")
			long := markdown.Render(strings.Repeat("A long and winding description. ", 30))
			bodies := []string{hostile, "", long}
			// More ideas than one backfill batch reads at a time.
			for i := 0; i < 1100; i++ {
				bodies = append(bodies, fmt.Sprintf("<p>Idea %d &amp; more</p>", i))
			}
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			err = db.Bun().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
				if _, err := tx.ExecContext(ctx, "INSERT INTO users (name, role, created_at) VALUES ('Ada', 'member', ?)", now); err != nil {
					return err
				}
				for i, html := range bodies {
					if _, err := tx.ExecContext(ctx, `INSERT INTO ideas (board_id, author_id, title, slug, body, body_html,
						status_id, trend_score, created_at, updated_at, last_activity_at)
						VALUES ((SELECT id FROM boards WHERE slug = 'feature-requests'), (SELECT id FROM users WHERE name = 'Ada'),
						?, 'idea', 'source', ?, (SELECT id FROM statuses WHERE slug = 'open'), 0, ?, ?, ?)`,
						fmt.Sprintf("Idea %d", i), html, now, now, now); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatalf("insert ideas: %v", err)
			}

			if err := models.Migrate(ctx, db, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatalf("migrate: %v", err)
			}
			var rows []struct {
				Title     string    `bun:"title"`
				Summary   string    `bun:"summary"`
				UpdatedAt time.Time `bun:"updated_at"`
			}
			if err := db.Bun().NewSelect().Table("ideas").Column("title", "summary", "updated_at").OrderExpr("id").Scan(ctx, &rows); err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(bodies) {
				t.Fatalf("%d ideas, want %d", len(rows), len(bodies))
			}
			want := map[int]string{
				0: "Hello link AT&T bold",
				1: "",
				2: markdown.Summary(long),
				3: "Idea 0 & more",
			}
			want[len(bodies)-1] = "Idea 1099 & more"
			for i, w := range want {
				if rows[i].Summary != w {
					t.Errorf("%s: summary %q, want %q", rows[i].Title, rows[i].Summary, w)
				}
			}
			if s := rows[2].Summary; !strings.HasSuffix(s, "…") || len([]rune(s)) > markdown.SummaryRunes+1 {
				t.Errorf("long body's summary is not cut to %d runes: %q", markdown.SummaryRunes, s)
			}
			for i := 3; i < len(rows); i++ {
				if w := fmt.Sprintf("Idea %d & more", i-3); rows[i].Summary != w {
					t.Fatalf("%s: summary %q, want %q", rows[i].Title, rows[i].Summary, w)
				}
			}
			for _, r := range rows {
				if !r.UpdatedAt.Equal(now) {
					t.Fatalf("%s: updated_at moved to %v", r.Title, r.UpdatedAt)
				}
			}
			if n := dbtest.Count(t, db, "SELECT count(*) FROM bun_migrations WHERE name = ?", summaryMigration); n != 1 {
				t.Errorf("summary migration recorded %d times, want 1", n)
			}
		})
	}
}
