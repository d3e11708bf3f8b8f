package models_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// fillEvents stores n events: every tenth a staff action (by one of two
// staff members, of three kinds), the rest customers' ideas and comments,
// as a busy portal's events table would hold them.
func fillEvents(tb testing.TB, db *models.DB, n int, staff ...*models.User) {
	tb.Helper()
	ctx := context.Background()
	kinds := []string{models.EventStatusChanged, models.EventIdeaHidden, models.EventRoleChanged}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for start := 0; start < n; start += 500 {
		batch := make([]models.Event, 0, 500)
		for i := start; i < start+500 && i < n; i++ {
			e := models.Event{Kind: models.EventCommented, Payload: `{}`, CreatedAt: at.Add(time.Duration(i) * time.Second)}
			if i%10 == 0 {
				actor := staff[(i/10)%len(staff)].ID
				e.Kind, e.ActorID, e.Payload = kinds[(i/10)%len(kinds)], &actor, `{"target":"Account x","summary":"Role member → staff"}`
			}
			batch = append(batch, e)
		}
		if _, err := db.Bun().NewInsert().Model(&batch).Exec(ctx); err != nil {
			tb.Fatal(err)
		}
	}
}

// The audit log's pages (everyone, one person, one kind, and the page
// after) and the approval queue are each one descent of an index: no scan
// of events or ideas, no sort.
func TestAuditLogAndQueueUseIndexes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		cast := dbtest.People(t, db)
		fillEvents(t, db, 3000, cast.Staff, cast.Admin)
		dbtest.Analyze(t, db)
		first, next, err := models.AuditLog(ctx, db, models.AuditQuery{Limit: 20})
		if err != nil || len(first) != 20 || next == 0 {
			t.Fatalf("first page: %d entries, next %d, %v", len(first), next, err)
		}
		for _, q := range []models.AuditQuery{
			{Limit: 20}, {Limit: 20, Before: next}, {Limit: 20, ActorID: cast.Staff.ID},
			{Limit: 20, ActorID: cast.Staff.ID, Before: next}, {Limit: 20, Kind: models.EventIdeaHidden},
		} {
			plans := planOf(t, db, func(ctx context.Context, db *models.DB) {
				if _, _, err := models.AuditLog(ctx, db, q); err != nil {
					t.Fatal(err)
				}
			})
			for sql, plan := range plans {
				if !strings.Contains(sql, `"events"`) {
					continue
				}
				for _, line := range strings.Split(plan, "\n") {
					line = strings.TrimSpace(line)
					bad := strings.Contains(line, "Seq Scan on events") || strings.Contains(line, "Sort  (") ||
						strings.Contains(line, "TEMP B-TREE") ||
						(strings.HasPrefix(line, "SCAN event") && !strings.Contains(line, "INDEX"))
					if bad {
						t.Errorf("audit %+v: %s\nquery: %s\nplan:\n%s", q, line, sql, plan)
					}
				}
			}
		}
		plans := planOf(t, db, func(ctx context.Context, db *models.DB) {
			if _, err := models.PendingIdeas(ctx, db, 50); err != nil {
				t.Fatal(err)
			}
		})
		checkPlans(t, db, "queue", plans, true)
	})
}

// Every page of the audit log, walked by its keyset, lists each staff
// action once, newest first, and nothing else.
func TestAuditLogPagesExactly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		cast := dbtest.People(t, db)
		fillEvents(t, db, 1000, cast.Staff, cast.Admin)
		seen, before, last := 0, int64(0), int64(1<<62)
		for pages := 0; ; pages++ {
			entries, next, err := models.AuditLog(ctx, db, models.AuditQuery{Limit: 30, Before: before, ActorID: cast.Admin.ID})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if e.ID >= last || e.ActorID == nil || *e.ActorID != cast.Admin.ID {
					t.Fatalf("entry %d out of order or not the admin's", e.ID)
				}
				last = e.ID
			}
			seen += len(entries)
			if next == 0 {
				break
			}
			before = next
		}
		if seen != 50 {
			t.Errorf("walked %d of the admin's actions, want 50", seen)
		}
	})
}

// BenchmarkAuditLogPage reads the newest page of the audit log, and one
// person's, among 100,000 events.
func BenchmarkAuditLogPage(b *testing.B) {
	for _, dialect := range dbtest.Dialects {
		b.Run(dialect, func(b *testing.B) {
			db := dbtest.Open(b, dialect)
			ctx := context.Background()
			staff := dbtest.User(b, db, "Sam", "sam@example.com", models.RoleStaff)
			admin := dbtest.User(b, db, "Ada", "ada@example.com", models.RoleAdmin)
			fillEvents(b, db, 100000, staff, admin)
			dbtest.Analyze(b, db)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				q := models.AuditQuery{Limit: 50}
				if i%2 == 1 {
					q.ActorID = staff.ID
				}
				if entries, _, err := models.AuditLog(ctx, db, q); err != nil || len(entries) != 50 {
					b.Fatal(fmt.Sprint(len(entries)), err)
				}
			}
		})
	}
}
