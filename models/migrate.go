package models

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun/migrate"

	"github.com/cluetrain/cluetrain/migrations"
)

// Migrate applies every pending migration under the migration lock. Several
// instances starting at once take turns: the lock is retried until wait has
// passed. A migration is recorded only once it has succeeded.
func Migrate(ctx context.Context, db *DB, log *slog.Logger) error {
	return migrateSet(ctx, db, log, migrations.All)
}

// migrateSet applies a set of migrations as Migrate does.
func migrateSet(ctx context.Context, db *DB, log *slog.Logger, set *migrate.Migrations) error {
	m := migrate.NewMigrator(db.bun, set,
		migrate.WithMarkAppliedOnSuccess(true),
		migrate.WithTemplateData(migrations.TemplateData{PG: db.pg}),
	)
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("init migrations: %w", err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		err := m.Lock(ctx)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("take migration lock: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	defer func() {
		if err := m.Unlock(context.WithoutCancel(ctx)); err != nil && log != nil {
			log.Error("release migration lock", "err", err)
		}
	}()
	group, err := m.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if log != nil && !group.IsZero() {
		log.Info("migrated database", "group", group.ID, "migrations", group.Migrations.String())
	}
	return nil
}
