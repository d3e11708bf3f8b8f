package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// A portal moves as one JSON document: a format name and version, the
// settings, then one array per table, named after it, in an order that
// keeps every reference pointing backwards. Rows are written as the
// database holds them, column by column, so the document carries every
// column a table has, and read back by the target's own column types, so a
// portal moves between SQLite and PostgreSQL intact. The document holds no
// secrets: no sessions, sign-in links, API keys or webhook secrets, nor
// hashes of them, and not the signing key.

// ExportFormat and ExportVersion name the document's shape.
const (
	ExportFormat  = "cluetrain"
	ExportVersion = 1
)

// exportTables are the tables a document holds, in the order they are
// written and loaded, each with the columns that order its rows.
var exportTables = []struct {
	name, order string
}{
	{"users", "id"},
	{"identities", "id"},
	{"boards", "id"},
	{"statuses", "id"},
	{"ideas", "id"},
	{"votes", "idea_id, user_id"},
	{"comments", "id"},
	{"subscriptions", "idea_id, user_id"},
	{"events", "id"},
	{"reports", "id"}, // open and resolved reports of ideas and comments
	{"logos", "hash"}, // the site logo, named by the site_logo setting
}

// localSettings never leave the database: the signing key, and the note of
// which document the portal was loaded from.
var localSettings = map[string]bool{"secret_key": true, importedSetting: true}

// ExportProgress is told how many rows of a table have been written.
type ExportProgress func(table string, rows int)

// ExportCounts says how many rows of each table a document holds.
type ExportCounts map[string]int

// Export writes the whole portal to w as one document, a batch of rows at
// a time, so memory stays flat however large the portal. It reads inside
// one transaction, so the document is one consistent moment.
func Export(ctx context.Context, db *DB, w io.Writer, progress ExportProgress) (ExportCounts, error) {
	counts := ExportCounts{}
	tx, done, err := snapshot(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("export: %w", mapErr(err))
	}
	defer done()

	out := &jsonStream{w: w}
	out.raw(`{"format":`)
	out.value(ExportFormat)
	out.raw(`,"version":`)
	out.value(ExportVersion)
	out.raw(`,"exported_at":`)
	out.value(db.Now().UTC().Format(time.RFC3339Nano))
	out.raw(`,"settings":`)
	settings := map[string]string{}
	rows, err := tx.QueryContext(ctx, "SELECT key, value FROM settings ORDER BY key")
	if err != nil {
		return nil, fmt.Errorf("export settings: %w", mapErr(err))
	}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			rows.Close()
			return nil, fmt.Errorf("export settings: %w", err)
		}
		if !localSettings[k] {
			settings[k] = v
		}
	}
	rows.Close()
	out.value(settings)

	for _, t := range exportTables {
		out.raw(`,"` + t.name + `":[`)
		n, err := exportTable(ctx, tx, t.name, t.order, out, func(n int) {
			if progress != nil {
				progress(t.name, n)
			}
		})
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", t.name, err)
		}
		out.raw("]")
		counts[t.name] = n
	}
	out.raw("}\n")
	if out.err != nil {
		return nil, fmt.Errorf("export: %w", out.err)
	}
	return counts, nil
}

// exportBatch is how many rows are read at a time.
const exportBatch = 1000

// exportTable writes every row of the table as a JSON object, in key order,
// a keyset page at a time.
func exportTable(ctx context.Context, tx queryer, table, order string, out *jsonStream, progress func(int)) (int, error) {
	keys := strings.Split(order, ", ")
	var after []any
	total := 0
	for {
		q := "SELECT * FROM " + table
		var args []any
		if after != nil {
			// (a, b) > (x, y) is row-value comparison on both engines.
			q += " WHERE (" + order + ") > (" + strings.TrimSuffix(strings.Repeat("?, ", len(keys)), ", ") + ")"
			args = after
		}
		q += " ORDER BY " + order + fmt.Sprintf(" LIMIT %d", exportBatch)
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return total, mapErr(err)
		}
		cols, err := columnKinds(rows)
		if err != nil {
			rows.Close()
			return total, err
		}
		n := 0
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return total, err
			}
			row := make(orderedRow, 0, len(cols))
			key := make([]any, 0, len(keys))
			for i, c := range cols {
				if c.kind == kindSkip {
					continue
				}
				v, err := c.export(vals[i])
				if err != nil {
					rows.Close()
					return total, fmt.Errorf("column %s: %w", c.name, err)
				}
				row = append(row, field{c.name, v})
				for _, k := range keys {
					if k == c.name {
						key = append(key, vals[i])
					}
				}
			}
			if total > 0 {
				out.raw(",")
			}
			out.value(row)
			after = key
			total++
			n++
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return total, err
		}
		progress(total)
		if n < exportBatch {
			return total, nil
		}
	}
}

// field and orderedRow write a row's columns in the table's order.
type field struct {
	name  string
	value any
}

type orderedRow []field

func (r orderedRow) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range r {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.name)
		v, err := json.Marshal(f.value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// jsonStream writes JSON pieces, keeping the first error.
type jsonStream struct {
	w   io.Writer
	err error
}

func (s *jsonStream) raw(text string) {
	if s.err == nil {
		_, s.err = io.WriteString(s.w, text)
	}
}

func (s *jsonStream) value(v any) {
	if s.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		s.err = err
		return
	}
	_, s.err = s.w.Write(b)
}

// queryer is what reading a snapshot needs.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// snapshot opens a read-only view of one moment of the database, without
// holding up writers: a repeatable-read transaction on PostgreSQL, a
// deferred one on SQLite (whose writes here begin IMMEDIATE, taking the
// write lock; a reader must not).
func snapshot(ctx context.Context, db *DB) (queryer, func(), error) {
	if db.pg {
		tx, err := db.bun.DB.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
		if err != nil {
			return nil, nil, err
		}
		return tx, func() { _ = tx.Rollback() }, nil
	}
	conn, err := db.bun.DB.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		_ = conn.Close()
		return nil, nil, err
	}
	return conn, func() {
		_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		_ = conn.Close()
	}, nil
}
