package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/cluetrain/cluetrain/models"
)

// scaleSizes are the portals BenchmarkScale compares: a small one, and one
// fifty times its size with a million votes. Their people are customers of
// companies, so triage has revenue to weigh.
var scaleSizes = []benchSize{
	{2000, 2000, 40000, 200},
	{20000, 100000, 1000000, 2000},
}

// BenchmarkScale measures on PostgreSQL what the busiest pages and a vote
// cost at 2,000 ideas and at 100,000 ideas with a million votes: the home
// page, an idea page, the roadmap and search, each cold (rendered, as for
// a signed-in reader or right after a write) and cached (from the page
// cache, as for signed-out readers), and staff's triage, with a plan
// filter for a common plan and for one nobody is on. The cost should
// not grow with the site. Each size is seeded once into a database of its
// own beside the one BENCH_DATABASE_URL names, and kept for later runs;
// the largest takes several minutes to seed:
//
//	BENCH_DATABASE_URL=postgres://localhost/cluetrain_bench?sslmode=disable \
//	  go test ./app/ -run '^$' -bench Scale -benchtime 300x -timeout 1h
func BenchmarkScale(b *testing.B) {
	base := os.Getenv("BENCH_DATABASE_URL")
	if base == "" {
		b.Skip("BENCH_DATABASE_URL is not set: these benchmarks need a PostgreSQL server")
	}
	for _, size := range scaleSizes {
		b.Run(fmt.Sprintf("ideas=%d", size.ideas), func(b *testing.B) {
			ctx := context.Background()
			db := scaleDatabase(b, base, size)
			cached, cold := scaleApp(b, db, true), scaleApp(b, db, false)

			member, err := models.UserByID(ctx, db, int64(size.users))
			if err != nil {
				b.Fatal(err)
			}
			var staffID int64
			if err := db.Bun().NewSelect().Table("users").Column("id").Where("role = 'staff'").OrderExpr("id").Limit(1).Scan(ctx, &staffID); err != nil {
				b.Fatal(err)
			}
			staff, err := models.UserByID(ctx, db, staffID)
			if err != nil {
				b.Fatal(err)
			}
			memberCookie := "cluetrain_session=" + storeSession(b, db, member)
			staffCookie := "cluetrain_session=" + storeSession(b, db, staff)

			// The most-voted idea: the heaviest idea page.
			var top models.Idea
			if err := db.Bun().NewSelect().Model(&top).Column("id", "slug").
				Where("hidden_at IS NULL").OrderExpr("votes_count DESC, id DESC").Limit(1).Scan(ctx); err != nil {
				b.Fatal(err)
			}
			ideaURL := ideaPath(top.ID, top.Slug)

			for _, pg := range []struct {
				name, path, cookie string
				app                *App
			}{
				{"home/cached", "/", "", cached},
				{"home/cold", "/", "", cold},
				{"home/signed-in", "/", memberCookie, cached},
				{"idea/cached", ideaURL, "", cached},
				{"idea/cold", ideaURL, "", cold},
				{"roadmap/cached", "/roadmap", "", cached},
				{"roadmap/cold", "/roadmap", "", cold},
				{"roadmap/staff", "/roadmap", staffCookie, cached},
				{"search/cached", "/?q=" + url.QueryEscape("export reports"), "", cached},
				{"search/cold", "/?q=" + url.QueryEscape("export reports"), "", cold},
				{"triage/votes", "/triage", staffCookie, cached},
				{"triage/revenue-enterprise", "/triage?sort=revenue&plan=enterprise", staffCookie, cached},
				{"triage/plan-nobody-is-on", "/triage?plan=legacy", staffCookie, cached},
			} {
				b.Run(pg.name, func(b *testing.B) {
					// Rendered pages forget the roadmap's kept columns too.
					benchServe(b, pg.app, pg.path, pg.cookie, pg.app == cold)
				})
			}

			open := openIdeas(b, db, "ideas.votes_count DESC, ideas.id")
			b.Run("vote-unvote", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					id := open[i%len(open)]
					if _, err := models.VoteWith(ctx, db, id, member.ID, models.ImportanceCritical); err != nil {
						b.Fatal(err)
					}
					if _, err := models.Unvote(ctx, db, id, member.ID); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// benchServe times GET path through the whole middleware stack, as a
// browser sends it (compression accepted), after checking it answers 200.
// afterWrite forgets the roadmap's kept columns before each request, as a
// write anywhere would.
func benchServe(b *testing.B, a *App, path, cookie string, afterWrite bool) {
	b.Helper()
	handler := a.fiber.Handler()
	var req fasthttp.Request
	req.Header.SetMethod(fasthttp.MethodGet)
	req.SetRequestURI(path)
	req.Header.SetHost("portal.test")
	req.Header.Set(fasthttp.HeaderAccept, "text/html,application/xhtml+xml")
	req.Header.Set(fasthttp.HeaderAcceptEncoding, "gzip, deflate, br")
	if cookie != "" {
		req.Header.Set(fasthttp.HeaderCookie, cookie)
	}
	var fctx fasthttp.RequestCtx
	fctx.Init(&req, nil, nil)
	handler(&fctx)
	if fctx.Response.StatusCode() != fasthttp.StatusOK {
		b.Fatalf("%s: status %d", path, fctx.Response.StatusCode())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if afterWrite {
			a.roadmap.members.latest.Store(nil)
			a.roadmap.staff.latest.Store(nil)
		}
		fctx.Init(&req, nil, nil)
		handler(&fctx)
		if fctx.Response.StatusCode() != fasthttp.StatusOK {
			b.Fatalf("%s: status %d", path, fctx.Response.StatusCode())
		}
	}
}

// openIdeas is up to 500 ideas that take votes, in the given order.
func openIdeas(b *testing.B, db *models.DB, order string) []int64 {
	b.Helper()
	var open []int64
	if err := db.Bun().NewSelect().Table("ideas").Column("ideas.id").
		Join("JOIN statuses s ON s.id = ideas.status_id").Where("s.category = 'open'").
		OrderExpr(order).Limit(500).Scan(context.Background(), &open); err != nil {
		b.Fatal(err)
	}
	return open
}

// scaleApp is the app over db, with or without its page cache.
func scaleApp(b *testing.B, db *models.DB, cached bool) *App {
	b.Helper()
	cfg, err := LoadConfig(map[string]string{"BASE_URL": "http://portal.test"})
	if err != nil {
		b.Fatal(err)
	}
	opts := []Option{WithoutRateLimits()}
	if !cached {
		opts = append(opts, WithPageCache(0, 0))
	}
	a, err := New(context.Background(), cfg, db, slog.New(slog.DiscardHandler), opts...)
	if err != nil {
		b.Fatal(err)
	}
	return a
}

// scaleDatabase opens the PostgreSQL database of one size, named after the
// one base names with the size appended, creating and seeding it the first
// time. A database of that name holding other data is refused.
func scaleDatabase(b *testing.B, base string, size benchSize) *models.DB {
	b.Helper()
	ctx := context.Background()
	u, err := url.Parse(base)
	if err != nil || !strings.HasPrefix(u.Scheme, "postgres") {
		b.Fatalf("BENCH_DATABASE_URL must be a postgres:// URL")
	}
	name := fmt.Sprintf("%s_%d", strings.TrimPrefix(u.Path, "/"), size.ideas)
	if name == fmt.Sprintf("_%d", size.ideas) {
		name = "cluetrain_bench" + name
	}
	server := *u
	server.Path = "/postgres"
	admin, err := models.Open(ctx, server.String(), 10*time.Second, nil)
	if err != nil {
		b.Fatal(err)
	}
	exists, err := admin.Bun().NewSelect().Table("pg_database").Where("datname = ?", name).Exists(ctx)
	if err == nil && !exists {
		_, err = admin.Bun().ExecContext(ctx, "CREATE DATABASE "+name)
	}
	_ = admin.Close()
	if err != nil {
		b.Fatalf("create database %s: %v", name, err)
	}
	target := *u
	target.Path = "/" + name
	db, err := models.Open(ctx, target.String(), 10*time.Second, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	if err := models.Migrate(ctx, db, nil); err != nil {
		b.Fatal(err)
	}
	n, err := models.CountIdeas(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	switch n {
	case size.ideas:
		return db
	case 0:
	default:
		b.Fatalf("database %s holds %d ideas, not %d: drop it to seed it afresh", name, n, size.ideas)
	}
	start := time.Now()
	res, err := models.Seed(ctx, db, models.SeedOptions{Users: size.users, Ideas: size.ideas, Votes: size.votes, Companies: size.companies, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Bun().ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %s: %d ideas, %d votes, %d comments in %s", name, res.Ideas, res.Votes, res.Comments, time.Since(start).Round(time.Second))
	return db
}
