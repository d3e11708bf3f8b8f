package models

import (
	"fmt"
	"sort"
	"time"
)

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
