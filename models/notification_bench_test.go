package models_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// BenchmarkStatusChangeWithManyFollowers measures, for an idea with 10,000
// followers, the status change itself ("change": its transaction enqueues one
// fan-out job, whatever the number of followers) and the fan-out ("fanout":
// one transaction of two INSERT ... SELECT statements that record 10,000
// notifications and enqueue 10,000 mails). Mail then
// goes one job at a time, each claimed and finished in its own short
// statement, so no transaction is held while the SMTP server talks.
//
//	go test ./models -run '^$' -bench StatusChangeWithManyFollowers -benchtime 5x
func BenchmarkStatusChangeWithManyFollowers(b *testing.B) {
	for _, dialect := range dbtest.Dialects {
		b.Run(dialect, func(b *testing.B) {
			if dialect == "postgres" {
				dbtest.PostgresURL(b)
			}
			db := dbtest.Open(b, dialect)
			ctx := context.Background()
			staff := dbtest.User(b, db, "Sam", "sam@example.com", models.RoleStaff)
			author := dbtest.User(b, db, "Ann", "ann@example.com", models.RoleMember)
			idea, err := models.CreateIdea(ctx, db, models.NewIdea{Author: author, Board: "feature-requests", Title: "Popular idea"})
			if err != nil {
				b.Fatal(err)
			}
			const followers = 10000
			users := make([]models.User, followers)
			for i := range users {
				email := fmt.Sprintf("f%d@example.com", i)
				users[i] = models.User{Name: fmt.Sprintf("Follower %d", i), Email: &email, EmailVerified: true, Role: models.RoleMember, CreatedAt: db.Now()}
			}
			subs := make([]models.Subscription, 0, followers)
			for i := 0; i < followers; i += 1000 {
				chunk := users[i:min(i+1000, followers)]
				if _, err := db.Bun().NewInsert().Model(&chunk).Exec(ctx); err != nil {
					b.Fatal(err)
				}
				for _, u := range chunk {
					subs = append(subs, models.Subscription{IdeaID: idea.ID, UserID: u.ID, CreatedAt: db.Now()})
				}
			}
			for i := 0; i < followers; i += 1000 {
				chunk := subs[i:min(i+1000, followers)]
				if _, err := db.Bun().NewInsert().Model(&chunk).Exec(ctx); err != nil {
					b.Fatal(err)
				}
			}
			statuses := []string{"planned", "in_progress"}
			b.Run("change", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, err := models.ChangeStatus(ctx, db, idea.ID, staff, statuses[i%2], "Update."); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("fanout", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					if _, err := models.ChangeStatus(ctx, db, idea.ID, staff, statuses[i%2], "Update."); err != nil {
						b.Fatal(err)
					}
					var id int64
					if err := db.Bun().QueryRow("SELECT max(id) FROM events").Scan(&id); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					if n, err := models.NotifyFollowers(ctx, db, id); err != nil || n != followers+1 {
						b.Fatalf("notified %d: %v", n, err)
					}
				}
			})
		})
	}
}
