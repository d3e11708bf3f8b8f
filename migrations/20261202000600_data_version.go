package migrations

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// DataVersionSlots is how many rows the data version is spread over. A
// write bumps one of them, chosen by its connection on PostgreSQL, so that
// concurrent writers do not all queue on one row's lock; the version is the
// sum of the slots.
const DataVersionSlots = 8

// dataVersionTables are the tables whose rows signed-out pages show.
// Another migration that adds such a table calls AddDataVersionTrigger.
var dataVersionTables = []string{"settings", "users", "boards", "statuses", "ideas", "comments", "events"}

// Every write to content bumps the data version in its own transaction, by
// a trigger, so no code path (the API, an import, a test fixture, a psql
// session) can forget to: the page cache of every instance compares the
// version it rendered with to the current one.
func init() {
	All.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, `CREATE TABLE data_versions (
  slot    INTEGER PRIMARY KEY,
  version BIGINT NOT NULL DEFAULT 0
)`); err != nil {
				return err
			}
			for i := 0; i < DataVersionSlots; i++ {
				if _, err := tx.ExecContext(ctx, "INSERT INTO data_versions (slot, version) VALUES (?, 0)", i); err != nil {
					return err
				}
			}
			pg := db.Dialect().Name() == dialect.PG
			if pg {
				if _, err := tx.ExecContext(ctx, fmt.Sprintf(`CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE data_versions SET version = version + 1 WHERE slot = pg_backend_pid() %% %d;
  RETURN NULL;
END
$$`, DataVersionSlots)); err != nil {
					return err
				}
			}
			for _, table := range dataVersionTables {
				if err := AddDataVersionTrigger(ctx, tx, pg, table); err != nil {
					return err
				}
			}
			return nil
		})
	}, func(ctx context.Context, db *bun.DB) error {
		pg := db.Dialect().Name() == dialect.PG
		for _, table := range dataVersionTables {
			for _, stmt := range dropDataVersionTrigger(pg, table) {
				if _, err := db.ExecContext(ctx, stmt); err != nil {
					return err
				}
			}
		}
		if pg {
			if _, err := db.ExecContext(ctx, "DROP FUNCTION IF EXISTS bump_data_version()"); err != nil {
				return err
			}
		}
		_, err := db.ExecContext(ctx, "DROP TABLE IF EXISTS data_versions")
		return err
	})
}

// AddDataVersionTrigger makes every insert, update and delete on table bump
// the data version. On PostgreSQL one trigger fires once per statement; on
// SQLite, which has only row triggers, three fire once per row (SQLite has
// one writer at a time, so the single slot it uses is never contended).
func AddDataVersionTrigger(ctx context.Context, db bun.IDB, pg bool, table string) error {
	var stmts []string
	if pg {
		stmts = []string{fmt.Sprintf(
			"CREATE TRIGGER %[1]s_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %[1]s FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()",
			table)}
	} else {
		for _, op := range []string{"insert", "update", "delete"} {
			stmts = append(stmts, fmt.Sprintf(
				"CREATE TRIGGER %[1]s_data_version_%[2]s AFTER %[2]s ON %[1]s BEGIN UPDATE data_versions SET version = version + 1 WHERE slot = 0; END",
				table, op))
		}
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("data version trigger on %s: %w", table, err)
		}
	}
	return nil
}

func dropDataVersionTrigger(pg bool, table string) []string {
	if pg {
		return []string{fmt.Sprintf("DROP TRIGGER IF EXISTS %[1]s_data_version ON %[1]s", table)}
	}
	var out []string
	for _, op := range []string{"insert", "update", "delete"} {
		out = append(out, fmt.Sprintf("DROP TRIGGER IF EXISTS %s_data_version_%s", table, op))
	}
	return out
}
