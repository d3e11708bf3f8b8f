package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/uptrace/bun"
)

// ErrPortalNotEmpty refuses to load a document into a portal that already
// has people or ideas.
var ErrPortalNotEmpty = errors.New("the database already has people or ideas; import into an empty one")

// ErrAlreadyImported says the document was loaded into this portal before.
var ErrAlreadyImported = errors.New("this document was imported here already; nothing changed")

// importedSetting remembers the digest of the document a portal was loaded
// from, so that loading it again changes nothing.
const importedSetting = "imported_export"

// ImportResult says what an import loaded and what it mended.
type ImportResult struct {
	Counts ExportCounts
	// Corrected counts the ideas whose stored counters (votes, comments,
	// trend) did not match their rows and were set from the rows.
	Corrected int
}

// importBatch is how many rows go in one INSERT.
const importBatch = 250

// ImportCluetrain loads a document written by Export into an empty portal,
// in one transaction: on any error the database is left as it was. Ids are
// kept, so every link and feed item id stays valid; counters and trend
// scores are rebuilt from the rows and search indexes follow the rows.
// digest names the document; loading the same one twice changes nothing
// the second time (ErrAlreadyImported).
func ImportCluetrain(ctx context.Context, db *DB, r io.Reader, digest string, progress ExportProgress) (ImportResult, error) {
	res := ImportResult{Counts: ExportCounts{}}
	err := db.inTx(ctx, func(tx bun.Tx) error {
		var people, ideas int
		if err := tx.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM ideas)").Scan(&people, &ideas); err != nil {
			return err
		}
		if people > 0 || ideas > 0 {
			var done string
			err := tx.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", importedSetting).Scan(&done)
			if err == nil && done == digest {
				return ErrAlreadyImported
			}
			return ErrPortalNotEmpty
		}
		// An empty portal's default board, statuses and settings give way
		// to the document's.
		for _, q := range []string{"DELETE FROM events", "DELETE FROM statuses", "DELETE FROM boards", "DELETE FROM settings WHERE key <> 'secret_key'"} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("clear the empty portal: %w", err)
			}
		}
		if !db.pg {
			// Loading writes every index at once: a larger page cache for
			// this connection saves re-reading the same pages from disk.
			if _, err := tx.ExecContext(ctx, "PRAGMA cache_size = -65536"); err != nil {
				return err
			}
			defer func() { _, _ = tx.ExecContext(ctx, "PRAGMA cache_size = -2000") }()
		}
		l := &loader{ctx: ctx, tx: tx, db: db, progress: progress, counts: res.Counts}
		if err := l.read(json.NewDecoder(r)); err != nil {
			return err
		}
		if err := l.finish(); err != nil {
			return err
		}
		res.Corrected = l.corrected
		_, err := tx.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES (?, ?)", importedSetting, digest)
		return err
	})
	if err != nil {
		return res, fmt.Errorf("import: %w", err)
	}
	return res, nil
}

// loader reads a document into the transaction.
type loader struct {
	ctx       context.Context
	tx        bun.Tx
	db        *DB
	progress  ExportProgress
	counts    ExportCounts
	corrected int
}

// read walks the document's top level: the format and version first, then
// the settings and the tables in the order Export writes them.
func (l *loader) read(dec *json.Decoder) error {
	dec.UseNumber()
	if err := expectDelim(dec, '{'); err != nil {
		return fmt.Errorf("not a Cluetrain export: %w", err)
	}
	next := 0 // the index in exportTables of the next table allowed
	sawFormat, sawVersion := false, false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("read the document: %w", err)
		}
		key, _ := tok.(string)
		switch key {
		case "format":
			var f string
			if err := dec.Decode(&f); err != nil || f != ExportFormat {
				return fmt.Errorf("format is %q, not %q", f, ExportFormat)
			}
			sawFormat = true
			continue
		case "version":
			var v int
			if err := dec.Decode(&v); err != nil || v != ExportVersion {
				return fmt.Errorf("version %d of the format is not one this portal reads (it reads %d)", v, ExportVersion)
			}
			sawVersion = true
			continue
		}
		if !sawFormat || !sawVersion {
			return errors.New("not a Cluetrain export: the format and version must come first")
		}
		if key == "settings" {
			var settings map[string]string
			if err := dec.Decode(&settings); err != nil {
				return fmt.Errorf("read settings: %w", err)
			}
			for k, v := range settings {
				if localSettings[k] {
					continue
				}
				if _, err := l.tx.ExecContext(l.ctx, "INSERT INTO settings (key, value) VALUES (?, ?)", k, v); err != nil {
					return fmt.Errorf("load setting %s: %w", k, err)
				}
			}
			continue
		}
		i := tableIndex(key)
		if i < 0 {
			// Something this version does not know: read past it.
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fmt.Errorf("read %s: %w", key, err)
			}
			continue
		}
		if i < next {
			return fmt.Errorf("table %s comes after a table that refers to it", key)
		}
		next = i + 1
		if err := l.table(dec, key); err != nil {
			return fmt.Errorf("load %s: %w", key, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("the document ends early: %w", err)
	}
	if !sawFormat {
		return errors.New("not a Cluetrain export: no format")
	}
	return nil
}

func tableIndex(name string) int {
	for i, t := range exportTables {
		if t.name == name {
			return i
		}
	}
	return -1
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != d {
		return fmt.Errorf("want %q, found %v", d, tok)
	}
	return nil
}

// table loads one array of rows, a batch at a time.
func (l *loader) table(dec *json.Decoder, name string) error {
	cols, err := l.columns(name)
	if err != nil {
		return err
	}
	if err := expectDelim(dec, '['); err != nil {
		return err
	}
	var batch []map[string]any
	n := 0
	flush := func() error {
		if err := l.insert(name, cols, batch); err != nil {
			return err
		}
		n += len(batch)
		batch = batch[:0]
		if l.progress != nil {
			l.progress(name, n)
		}
		return nil
	}
	for dec.More() {
		var row map[string]any
		if err := dec.Decode(&row); err != nil {
			return fmt.Errorf("row %d: %w", n+len(batch)+1, err)
		}
		batch = append(batch, row)
		if len(batch) == importBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := expectDelim(dec, ']'); err != nil {
		return err
	}
	if len(batch) > 0 {
		if err := flush(); err != nil {
			return err
		}
	}
	l.counts[name] = n
	return nil
}

// columns reads the target table's columns and their kinds.
func (l *loader) columns(table string) (map[string]column, error) {
	rows, err := l.tx.QueryContext(l.ctx, "SELECT * FROM "+table+" WHERE 1 = 0")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := columnKinds(rows)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]column, len(cols))
	for _, c := range cols {
		if c.kind != kindSkip {
			byName[c.name] = c
		}
	}
	return byName, nil
}

// insert writes a batch of rows with one statement; every row must name
// the same columns, all of them known to the target.
func (l *loader) insert(table string, cols map[string]column, rows []map[string]any) error {
	if len(rows) == 0 {
		return nil
	}
	var names []string
	for _, t := range exportOrder(rows[0]) {
		if _, ok := cols[t]; !ok {
			return fmt.Errorf("column %q is not one this portal has", t)
		}
		names = append(names, t)
	}
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(names, ", ") + ") VALUES ")
	args := make([]any, 0, len(rows)*len(names))
	place := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ") + ")"
	for i, row := range rows {
		if len(row) != len(names) {
			return fmt.Errorf("row %d has %d columns, the first has %d", i+1, len(row), len(names))
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(place)
		for _, n := range names {
			v, ok := row[n]
			if !ok {
				return fmt.Errorf("row %d has no %s", i+1, n)
			}
			val, err := cols[n].load(v)
			if err != nil {
				return err
			}
			args = append(args, val)
		}
	}
	if _, err := l.tx.ExecContext(l.ctx, b.String(), args...); err != nil {
		return mapErr(err)
	}
	if table == "events" {
		return l.restorePublic(rows)
	}
	return nil
}

// restorePublic puts back whether each event was public when it happened:
// the trigger that sets it as an event is written judges by the ideas as
// they are now, which is right for a new event and wrong for history.
func (l *loader) restorePublic(rows []map[string]any) error {
	byValue := map[bool][]int64{}
	for _, row := range rows {
		pub, ok := row["is_public"].(bool)
		num, isNum := row["id"].(json.Number)
		if !ok || !isNum {
			continue
		}
		id, err := num.Int64()
		if err != nil {
			continue
		}
		byValue[pub] = append(byValue[pub], id)
	}
	for pub, ids := range byValue {
		if _, err := l.tx.NewUpdate().Table("events").Set("is_public = ?", pub).Where("id IN (?)", bun.List(ids)).Exec(l.ctx); err != nil {
			return fmt.Errorf("restore public events: %w", err)
		}
	}
	return nil
}

// exportOrder lists a row's column names in a stable order.
func exportOrder(row map[string]any) []string {
	names := make([]string, 0, len(row))
	for k := range row {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
