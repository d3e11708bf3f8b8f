package models

import (
	"context"
	"errors"
	"fmt"
)

// ErrBackupNeedsSQLite says a PostgreSQL database is backed up with its own
// tools.
var ErrBackupNeedsSQLite = errors.New("a PostgreSQL database is backed up with pg_dump: pg_dump \"$DATABASE_URL\" > cluetrain.sql")

// Backup writes a consistent copy of a live SQLite database to path, which
// must not exist yet: VACUUM INTO reads one snapshot while the portal goes
// on writing, and leaves a compact database that opens on its own.
func Backup(ctx context.Context, db *DB, path string) error {
	if db.pg {
		return ErrBackupNeedsSQLite
	}
	if _, err := db.bun.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("back up to %s: %w", path, mapErr(err))
	}
	return nil
}
