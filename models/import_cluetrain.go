package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

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

// finish makes the loaded rows whole: identity counters on PostgreSQL
// continue past the loaded ids, and every idea's counters and trend score
// are set from its rows (counting those that disagreed).
func (l *loader) finish() error {
	ctx, tx := l.ctx, l.tx
	if l.db.pg {
		for _, t := range []string{"users", "identities", "boards", "statuses", "ideas", "comments", "events", "reports"} {
			q := fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT COALESCE(max(id), 0) + 1 FROM %s), false)", t, t)
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("continue %s ids: %w", t, err)
			}
		}
	}
	var wrong int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ideas WHERE
		votes_count <> (SELECT count(*) FROM votes AS v WHERE v.idea_id = ideas.id) OR
		comments_count <> (SELECT count(*) FROM comments AS c WHERE c.idea_id = ideas.id AND c.hidden_at IS NULL)`).Scan(&wrong)
	if err != nil {
		return fmt.Errorf("check counters: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE ideas SET
		votes_count = (SELECT count(*) FROM votes AS v WHERE v.idea_id = ideas.id),
		comments_count = (SELECT count(*) FROM comments AS c WHERE c.idea_id = ideas.id AND c.hidden_at IS NULL)`); err != nil {
		return fmt.Errorf("count votes and comments: %w", err)
	}
	trends, err := l.retrend()
	if err != nil {
		return err
	}
	l.corrected = wrong + trends
	// Revenue at stake, critical votes and weekly counts are derived
	// from the votes and people, never taken from the document.
	if err := recountIdeas(ctx, tx, l.db.pg, nil); err != nil {
		return err
	}
	if !l.db.pg {
		if _, err := tx.ExecContext(ctx, "INSERT INTO ideas_fts (ideas_fts) VALUES ('rebuild')"); err != nil {
			return fmt.Errorf("rebuild the search index: %w", err)
		}
	}
	return nil
}

// retrend sets every idea's trend score from its votes' times, reading the
// votes in index order one idea at a time, and returns how many differed.
func (l *loader) retrend() (int, error) {
	ctx, tx := l.ctx, l.tx
	stored := map[int64]float64{}
	rows, err := tx.QueryContext(ctx, "SELECT id, trend_score FROM ideas")
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var id int64
		var score float64
		if err := rows.Scan(&id, &score); err != nil {
			rows.Close()
			return 0, err
		}
		stored[id] = score
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}

	want := make(map[int64]float64, len(stored))
	for id := range stored {
		want[id] = TrendOf(nil)
	}
	vrows, err := tx.QueryContext(ctx, "SELECT idea_id, created_at FROM votes ORDER BY idea_id, user_id")
	if err != nil {
		return 0, err
	}
	timeCol := column{name: "created_at", kind: kindTime}
	var cur int64
	var times []time.Time
	for vrows.Next() {
		var id int64
		var at any
		if err := vrows.Scan(&id, &at); err != nil {
			vrows.Close()
			return 0, err
		}
		if id != cur && len(times) > 0 {
			want[cur], times = trendOfTimes(times), times[:0]
		}
		cur = id
		v, err := timeCol.export(at)
		if err != nil {
			vrows.Close()
			return 0, err
		}
		t, _ := parseTime(v.(string))
		times = append(times, t)
	}
	vrows.Close()
	if err := vrows.Err(); err != nil {
		return 0, err
	}
	if len(times) > 0 {
		want[cur] = trendOfTimes(times)
	}
	differ := 0
	for id, score := range want {
		if trendClose(stored[id], score) {
			continue
		}
		differ++
		if _, err := tx.ExecContext(ctx, "UPDATE ideas SET trend_score = ? WHERE id = ?", score, id); err != nil {
			return 0, fmt.Errorf("set trend of idea %d: %w", id, err)
		}
	}
	return differ, nil
}

// trendOfTimes is the trend of votes cast at the times, added in the
// order they were cast, as the votes themselves added them.
func trendOfTimes(times []time.Time) float64 {
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	return TrendOf(times)
}

// trendClose compares trend scores, which are logarithms computed in
// floating point in either engine.
func trendClose(a, b float64) bool {
	d := a - b
	return d < 1e-9 && d > -1e-9
}
