package models_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/uptrace/bun/migrate"

	"github.com/cluetrain/cluetrain/migrations"
	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// A migration that fails part way leaves the schema as it was: nothing it
// created or altered stays, it is not recorded as applied, and the
// migration lock is released, so the next start tries it again.
func TestFailedMigrationLeavesTheSchemaAsItWas(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		applied := dbtest.Count(t, db, "SELECT count(*) FROM bun_migrations")
		set := migrate.NewMigrations()
		for _, m := range migrations.All.Sorted() {
			set.Add(m)
		}
		err := set.Discover(fstest.MapFS{
			"20261202000698_fails.tx.up.sql": {Data: []byte(`CREATE TABLE half_done (id INTEGER PRIMARY KEY);
--bun:split
INSERT INTO half_done (id) VALUES (1);
--bun:split
ALTER TABLE ideas ADD COLUMN half_done INTEGER;
--bun:split
UPDATE ideas SET votes_count = votes_count + 1;
--bun:split
INSERT INTO no_such_table (id) VALUES (1);
`)},
		})
		if err != nil {
			t.Fatal(err)
		}
		dbtest.Idea(t, db, dbtest.IdeaSpec{Author: dbtest.User(t, db, "Ann", "ann@example.com", models.RoleMember), Title: "Kept as it was"})

		err = models.MigrateSet(ctx, db, slog.New(slog.DiscardHandler), set)
		if err == nil || !strings.Contains(err.Error(), "no_such_table") {
			t.Fatalf("the failing migration answered %v", err)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM bun_migrations"); n != applied {
			t.Errorf("applied migrations = %d, want %d: the failed one was recorded", n, applied)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM bun_migration_locks"); n != 0 {
			t.Errorf("the migration lock was kept (%d rows)", n)
		}
		if _, err := db.Bun().ExecContext(ctx, "SELECT count(*) FROM half_done"); err == nil {
			t.Errorf("the table the failed migration created is still there")
		}
		if _, err := db.Bun().ExecContext(ctx, "SELECT half_done FROM ideas"); err == nil {
			t.Errorf("the column the failed migration added is still there")
		}
		if n := dbtest.Count(t, db, "SELECT votes_count FROM ideas"); n != 0 {
			t.Errorf("votes_count = %d: the failed migration's update stayed", n)
		}
		// The portal's own migrations still apply (none is pending).
		if err := models.Migrate(ctx, db, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatalf("migrate after the failure: %v", err)
		}
	})
}
