package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
)

// BenchmarkPortal measures the home page (query and render through the real
// Fiber app, trending and top, first and second page) and voting, on seeded
// SQLite databases of growing size. Each size is seeded once per run:
//
//	go test ./app/ -run '^$' -bench Portal -benchtime 200x
func BenchmarkPortal(b *testing.B) {
	sizes := []struct{ users, ideas, votes int }{
		{500, 2000, 40000},
		{1000, 10000, 200000},
		{2000, 100000, 500000},
	}
	for _, size := range sizes {
		b.Run(fmt.Sprintf("ideas=%d", size.ideas), func(b *testing.B) {
			ctx := context.Background()
			db, err := models.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"), 10*time.Second, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = db.Close() })
			if err := models.Migrate(ctx, db, nil); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			res, err := models.Seed(ctx, db, models.SeedOptions{Users: size.users, Ideas: size.ideas, Votes: size.votes, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("seeded %d ideas, %d votes, %d comments in %s", res.Ideas, res.Votes, res.Comments, time.Since(start).Round(time.Millisecond))
			if _, err := db.Bun().Exec("ANALYZE"); err != nil {
				b.Fatal(err)
			}
			cfg, err := LoadConfig(map[string]string{"BASE_URL": "http://portal.test"})
			if err != nil {
				b.Fatal(err)
			}
			a, err := New(ctx, cfg, db, slog.New(slog.DiscardHandler), WithoutRateLimits())
			if err != nil {
				b.Fatal(err)
			}

			for _, sort := range []string{models.SortTrending, models.SortTop} {
				page, err := models.ListIdeas(ctx, db, models.IdeaQuery{Sort: sort})
				if err != nil {
					b.Fatal(err)
				}
				for name, path := range map[string]string{
					"home-" + sort:         "/?sort=" + sort,
					"home-" + sort + "-p2": "/?sort=" + sort + "&after=" + page.Next,
				} {
					b.Run(name, func(b *testing.B) {
						b.ReportAllocs()
						for i := 0; i < b.N; i++ {
							resp, err := a.fiber.Test(httptest.NewRequest("GET", path, nil), -1)
							if err != nil {
								b.Fatal(err)
							}
							n, _ := io.Copy(io.Discard, resp.Body)
							_ = resp.Body.Close()
							if resp.StatusCode != 200 || n < 1000 {
								b.Fatalf("status %d, %d bytes", resp.StatusCode, n)
							}
						}
					})
				}
			}

			b.Run("search", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, err := models.ListIdeas(ctx, db, models.IdeaQuery{Search: "export reports"}); err != nil {
						b.Fatal(err)
					}
				}
			})

			// Voting: cast and withdraw votes on open ideas, each a transaction
			// that keeps the counter and trend score exact.
			var open []int64
			if err := db.Bun().NewSelect().Table("ideas").Column("ideas.id").
				Join("JOIN statuses s ON s.id = ideas.status_id").Where("s.category = 'open'").
				OrderExpr("ideas.id").Limit(500).Scan(ctx, &open); err != nil {
				b.Fatal(err)
			}
			voter := int64(size.users) // the seed's users have ids 1..users
			b.Run("vote-unvote", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					id := open[i%len(open)]
					if _, err := models.VoteFor(ctx, db, id, voter); err != nil {
						b.Fatal(err)
					}
					if _, err := models.Unvote(ctx, db, id, voter); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
