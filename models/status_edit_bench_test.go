package models_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// BenchmarkMergeStatus measures merging a status that holds 10,000 ideas
// into another: one UPDATE of the ideas, the status's removal and an audit
// event, in one transaction. Each round merges the status the last round
// filled into a new one.
//
//	go test ./models -run '^$' -bench MergeStatus -benchtime 5x
func BenchmarkMergeStatus(b *testing.B) {
	for _, dialect := range dbtest.Dialects {
		b.Run(dialect, func(b *testing.B) {
			if dialect == "postgres" {
				dbtest.PostgresURL(b)
			}
			db := dbtest.Open(b, dialect)
			ctx := context.Background()
			admin := dbtest.User(b, db, "Ada", "ada@example.com", models.RoleAdmin)
			first, err := models.CreateIdea(ctx, db, models.NewIdea{Author: admin, Board: "feature-requests", Title: "Idea 0"})
			if err != nil {
				b.Fatal(err)
			}
			const ideas = 10000
			for i := 1; i < ideas; i += 1000 {
				chunk := make([]models.Idea, 0, 1000)
				for j := i; j < min(i+1000, ideas); j++ {
					c := *first
					c.ID, c.Title, c.Slug, c.Board, c.Status, c.Author = 0, fmt.Sprintf("Idea %d", j), fmt.Sprintf("idea-%d", j), nil, nil, nil
					chunk = append(chunk, c)
				}
				if _, err := db.Bun().NewInsert().Model(&chunk).Exec(ctx); err != nil {
					b.Fatal(err)
				}
			}
			from := "open"
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				into := fmt.Sprintf("round_%d", i)
				if _, err := models.CreateStatus(ctx, db, models.StatusInput{Name: fmt.Sprintf("Round %d", i), Color: "#123456", Category: models.CategoryOpen}, admin); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				n, err := models.MergeStatus(ctx, db, from, into, admin)
				if err != nil {
					b.Fatal(err)
				}
				if n != ideas {
					b.Fatalf("moved %d ideas, want %d", n, ideas)
				}
				from = into
			}
		})
	}
}
