package models_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// planOf captures the SQL of the queries fn runs and returns each one's plan
// (EXPLAIN QUERY PLAN on SQLite; EXPLAIN with sequential scans disabled on
// PostgreSQL, whose planner would otherwise prefer them on a small table).
func planOf(t *testing.T, db *models.DB, fn func(ctx context.Context, db *models.DB)) map[string]string {
	t.Helper()
	rec := &queryRecorder{}
	fn(context.Background(), db.WithQueryHook(rec))

	plans := map[string]string{}
	conn, err := db.Bun().Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	explain := "EXPLAIN QUERY PLAN "
	if db.PG() {
		explain = "EXPLAIN "
		if _, err := conn.ExecContext(context.Background(), "SET enable_seqscan = off"); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if _, err := conn.ExecContext(context.Background(), "RESET enable_seqscan"); err != nil {
				t.Errorf("reset enable_seqscan: %v", err)
			}
		}()
	}
	for _, q := range rec.queries {
		rows, err := conn.QueryContext(context.Background(), explain+q)
		if err != nil {
			t.Fatalf("explain %s: %v", q, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			t.Fatalf("explain %s: %v", q, err)
		}
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprint(vals[len(vals)-1]))
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("explain %s: %v", q, err)
		}
		rows.Close()
		plans[q] = strings.Join(lines, "\n")
	}
	return plans
}

type queryRecorder struct{ queries []string }

func (r *queryRecorder) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

func (r *queryRecorder) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	if strings.HasPrefix(strings.TrimSpace(e.Query), "SELECT") {
		r.queries = append(r.queries, e.Query)
	}
}

// TestListAndSearchUseIndexes checks that every list query (each sort, with
// and without filters, first and later pages), the search queries and the
// viewer's-votes query are served by indexes: no full scan of ideas or
// votes, and no sort of the list in a temporary B-tree.
func TestListAndSearchUseIndexes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		if _, err := models.Seed(ctx, db, models.SeedOptions{Users: 30, Ideas: 300, Votes: 2000, Seed: 1}); err != nil {
			t.Fatal(err)
		}
		dbtest.Board(t, db, "internal", true)
		dbtest.Analyze(t, db)
		viewer, err := models.UserByID(ctx, db, 5)
		if err != nil {
			t.Fatal(err)
		}
		board, err := models.BoardBySlug(ctx, db, dbtest.DefaultBoard, nil)
		if err != nil {
			t.Fatal(err)
		}
		open, err := models.StatusBySlug(ctx, db, "open")
		if err != nil {
			t.Fatal(err)
		}

		var lists []models.IdeaQuery
		for _, s := range []string{models.SortTrending, models.SortTop, models.SortNew, models.SortActive, models.SortDiscussed} {
			lists = append(lists,
				models.IdeaQuery{Sort: s, Viewer: viewer},
				models.IdeaQuery{Sort: s, BoardID: board.ID},
				models.IdeaQuery{Sort: s, StatusID: open.ID},
			)
		}
		for _, q := range lists {
			page, err := models.ListIdeas(ctx, db, q)
			if err != nil || page.Next == "" {
				t.Fatalf("%+v: %v (next %q)", q, err, page.Next)
			}
			q2 := q
			q2.After = page.Next
			plans := planOf(t, db, func(ctx context.Context, db *models.DB) {
				if _, err := models.ListIdeas(ctx, db, q); err != nil {
					t.Fatal(err)
				}
				if _, err := models.ListIdeas(ctx, db, q2); err != nil {
					t.Fatal(err)
				}
			})
			checkPlans(t, db, fmt.Sprintf("list %s board=%d status=%d", q.Sort, q.BoardID, q.StatusID), plans, true)
		}
		plans := planOf(t, db, func(ctx context.Context, db *models.DB) {
			if _, err := models.SearchIdeas(ctx, db, models.IdeaQuery{Search: "reports dashboard"}); err != nil {
				t.Fatal(err)
			}
			if _, err := models.SimilarIdeas(ctx, db, "export the reports", nil, 5); err != nil {
				t.Fatal(err)
			}
		})
		checkPlans(t, db, "search", plans, false)
	})
}

func checkPlans(t *testing.T, db *models.DB, name string, plans map[string]string, sorted bool) {
	t.Helper()
	if len(plans) == 0 {
		t.Fatalf("%s: no queries captured", name)
	}
	for q, plan := range plans {
		// Small lookup tables (boards, statuses) may be scanned.
		if strings.Contains(q, `FROM "boards"`) && !strings.Contains(q, "ideas") || strings.Contains(q, `FROM "statuses"`) {
			continue
		}
		var bad []string
		if db.PG() {
			for _, line := range strings.Split(plan, "\n") {
				if strings.Contains(line, "Seq Scan on ideas") || strings.Contains(line, "Seq Scan on votes") {
					bad = append(bad, "sequential scan")
				}
				if sorted && strings.Contains(line, "Sort  (") && !strings.Contains(q, `"idea"."id" IN`) {
					bad = append(bad, "explicit sort")
				}
			}
		} else {
			for _, line := range strings.Split(plan, "\n") {
				line = strings.TrimSpace(line)
				if strings.Contains(line, "VIRTUAL TABLE INDEX") && strings.Contains(line, "M") {
					continue // an FTS5 MATCH lookup
				}
				if (strings.HasPrefix(line, "SCAN idea") || strings.HasPrefix(line, "SCAN i ") || line == "SCAN i" || strings.HasPrefix(line, "SCAN votes") || strings.HasPrefix(line, "SCAN vote")) && !strings.Contains(line, "USING INDEX") && !strings.Contains(line, "USING COVERING INDEX") {
					bad = append(bad, "full scan: "+line)
				}
				if sorted && strings.Contains(line, "TEMP B-TREE") {
					bad = append(bad, "temp b-tree: "+line)
				}
			}
		}
		if os.Getenv("SHOW_PLANS") != "" {
			t.Logf("%s\n%s\n%s", name, q[strings.Index(q, "FROM"):], plan)
		}
		if len(bad) > 0 {
			t.Errorf("%s: %v\nquery: %s\nplan:\n%s", name, bad, q, plan)
		}
	}
}
