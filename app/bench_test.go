package app

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// benchSize is one seeded portal the benchmarks run against.
type benchSize struct{ users, ideas, votes, companies int }

var benchSizes = []benchSize{
	{500, 2000, 40000, 0},
	{1000, 10000, 200000, 0},
	{2000, 100000, 500000, 0},
}

// triageSizes are portals whose people are customers of 2,000 companies.
var triageSizes = []benchSize{
	{4000, 10000, 200000, 2000},
	{4000, 100000, 500000, 2000},
}

// benchPortal is a seeded database with the app over it.
type benchPortal struct {
	db  *models.DB
	app *App
	err error
}

// benchPortals holds each size's portal for the life of the test process, so
// that -count and repeated runs seed every size once; TestMain removes their
// folder at the end.
var benchPortals struct {
	sync.Mutex
	dir  string
	m    map[benchSize]*benchPortal
	keys map[*models.DB]string // an API key in each
}

func TestMain(m *testing.M) {
	code := m.Run()
	benchPortals.Lock()
	for _, p := range benchPortals.m {
		if p.db != nil {
			_ = p.db.Close()
		}
	}
	if benchPortals.dir != "" {
		_ = os.RemoveAll(benchPortals.dir)
	}
	benchPortals.Unlock()
	os.Exit(code)
}

// seededPortal seeds a SQLite database of the given size once per process
// and builds the app over it.
func seededPortal(b *testing.B, size benchSize) *benchPortal {
	b.Helper()
	benchPortals.Lock()
	defer benchPortals.Unlock()
	if p, ok := benchPortals.m[size]; ok {
		if p.err != nil {
			b.Fatal(p.err)
		}
		return p
	}
	if benchPortals.m == nil {
		benchPortals.m = map[benchSize]*benchPortal{}
	}
	// Until seeding succeeds, later benchmarks of this size fail at once.
	p := &benchPortal{err: fmt.Errorf("seeding %d ideas did not finish", size.ideas)}
	benchPortals.m[size] = p
	p.db, p.app, p.err = seedPortal(b, size)
	if p.err != nil {
		b.Fatal(p.err)
	}
	return p
}

func seedPortal(b *testing.B, size benchSize) (*models.DB, *App, error) {
	ctx := context.Background()
	// The database outlives this benchmark, so it is not in b.TempDir.
	if benchPortals.dir == "" {
		dir, err := os.MkdirTemp("", "cluetrain-bench-")
		if err != nil {
			return nil, nil, err
		}
		benchPortals.dir = dir
	}
	path := filepath.Join(benchPortals.dir, fmt.Sprintf("bench-%d-%d.db", size.ideas, size.companies))
	db, err := models.Open(ctx, "sqlite:"+path, 10*time.Second, nil)
	if err != nil {
		return nil, nil, err
	}
	if err := models.Migrate(ctx, db, nil); err != nil {
		return nil, nil, err
	}
	start := time.Now()
	res, err := models.Seed(ctx, db, models.SeedOptions{Users: size.users, Ideas: size.ideas, Votes: size.votes, Seed: 1, Companies: size.companies})
	if err != nil {
		return nil, nil, err
	}
	b.Logf("seeded %d ideas, %d votes, %d comments in %s", res.Ideas, res.Votes, res.Comments, time.Since(start).Round(time.Millisecond))
	dbtest.Analyze(b, db)
	cfg, err := LoadConfig(map[string]string{"BASE_URL": "http://portal.test"})
	if err != nil {
		return nil, nil, err
	}
	a, err := New(ctx, cfg, db, slog.New(slog.DiscardHandler), WithoutRateLimits())
	if err != nil {
		return nil, nil, err
	}
	return db, a, nil
}

// uncachedApp is an App over the same database without the page cache, to
// measure what a signed-out page costs to render.
func uncachedApp(b *testing.B, db *models.DB) *App {
	b.Helper()
	cfg, err := LoadConfig(map[string]string{"BASE_URL": "http://portal.test"})
	if err != nil {
		b.Fatal(err)
	}
	a, err := New(context.Background(), cfg, db, slog.New(slog.DiscardHandler), WithoutRateLimits(), WithPageCache(0, 0))
	if err != nil {
		b.Fatal(err)
	}
	return a
}

// BenchmarkPortal measures server time for the home page (queries, render
// and the whole middleware stack, signed out and signed in, trending and
// top, first and second page) and for voting, on seeded SQLite databases of
// growing size. Requests go straight to the Fiber handler, as a browser would
// send them (compression accepted), so no HTTP client or connection is
// counted. Each size is seeded once per test process; the largest takes
// about a minute:
//
//	go test ./app/ -run '^$' -bench Portal -benchtime 200x
func BenchmarkPortal(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("ideas=%d", size.ideas), func(b *testing.B) {
			ctx := context.Background()
			p := seededPortal(b, size)
			db, a := p.db, p.app

			// The last seeded user, signed in with a real stored session.
			voter := int64(size.users) // the seed's users have ids 1..users
			user, err := models.UserByID(ctx, db, voter)
			if err != nil {
				b.Fatal(err)
			}
			session := storeSession(b, db, user)
			signedIn := "cluetrain_session=" + session + "; " + a.csrfCookieName() + "=" + string(bytes.Repeat([]byte("c"), 43))

			type page struct {
				name, path, cookie string
				app                *App
			}
			var pages []page
			for _, sort := range []string{models.SortTrending, models.SortTop} {
				first, err := models.ListIdeas(ctx, db, models.IdeaQuery{Sort: sort})
				if err != nil {
					b.Fatal(err)
				}
				pages = append(pages,
					page{"home-" + sort, "/?sort=" + sort, "", a},
					page{"home-" + sort + "-p2", "/?sort=" + sort + "&after=" + first.Next, "", a})
			}
			// Signed-out pages above come from the page cache after the
			// first request; these are rendered every time.
			pages = append(pages, page{"home-trending-signed-in", "/", signedIn, a},
				page{"home-trending-uncached", "/?sort=" + models.SortTrending, "", uncachedApp(b, db)})

			for _, pg := range pages {
				b.Run(pg.name, func(b *testing.B) {
					handler := pg.app.fiber.Handler()
					var req fasthttp.Request
					req.Header.SetMethod(fasthttp.MethodGet)
					req.SetRequestURI(pg.path)
					req.Header.SetHost("portal.test")
					req.Header.Set(fasthttp.HeaderAccept, "text/html,application/xhtml+xml")
					req.Header.Set(fasthttp.HeaderAcceptEncoding, "gzip, deflate, br")
					if pg.cookie != "" {
						req.Header.Set(fasthttp.HeaderCookie, pg.cookie)
					}
					checkHomePage(b, handler, &req, pg.cookie != "")

					var fctx fasthttp.RequestCtx
					b.ReportAllocs()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						fctx.Init(&req, nil, nil)
						handler(&fctx)
						if fctx.Response.StatusCode() != fasthttp.StatusOK {
							b.Fatalf("status %d", fctx.Response.StatusCode())
						}
					}
				})
			}

			// The API's list answers about what the home page costs.
			key, err := benchAPIKey(ctx, db)
			if err != nil {
				b.Fatal(err)
			}
			firstAPI, err := models.ListIdeas(ctx, db, models.IdeaQuery{Sort: models.SortTrending, Viewer: &models.User{Role: models.RoleStaff}})
			if err != nil {
				b.Fatal(err)
			}
			for _, pg := range []page{
				{"api-ideas", "/api/v1/ideas", "", a},
				{"api-ideas-p2", "/api/v1/ideas?cursor=" + firstAPI.Next, "", a},
			} {
				b.Run(pg.name, func(b *testing.B) {
					handler := a.fiber.Handler()
					var req fasthttp.Request
					req.Header.SetMethod(fasthttp.MethodGet)
					req.SetRequestURI(pg.path)
					req.Header.SetHost("portal.test")
					req.Header.Set(fasthttp.HeaderAccept, "application/json")
					req.Header.Set(fasthttp.HeaderAcceptEncoding, "gzip, deflate, br")
					req.Header.Set(fasthttp.HeaderAuthorization, "Bearer "+key)
					var fctx fasthttp.RequestCtx
					fctx.Init(&req, nil, nil)
					handler(&fctx)
					if raw, _ := fctx.Response.BodyUncompressed(); fctx.Response.StatusCode() != fasthttp.StatusOK ||
						bytes.Count(raw, []byte(`"votes":`)) != 20 {
						b.Fatalf("status %d: %.300s", fctx.Response.StatusCode(), raw)
					}
					b.ReportAllocs()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						fctx.Init(&req, nil, nil)
						handler(&fctx)
						if fctx.Response.StatusCode() != fasthttp.StatusOK {
							b.Fatalf("status %d", fctx.Response.StatusCode())
						}
					}
				})
			}

			b.Run("search", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					if _, err := models.ListIdeas(ctx, db, models.IdeaQuery{Search: "export reports"}); err != nil {
						b.Fatal(err)
					}
				}
			})

			// Voting: cast and withdraw votes on open ideas, each a transaction
			// that keeps the counter and trend score exact.
			open := openIdeas(b, db, "ideas.id")
			b.Run("vote-unvote", func(b *testing.B) {
				b.ReportAllocs()
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
			// The same with an endpoint listening for votes: each vote also
			// enqueues its delivery, in the vote's transaction.
			b.Run("vote-unvote-webhook", func(b *testing.B) {
				admin := &models.User{ID: 1, Role: models.RoleAdmin}
				hook, err := models.CreateWebhook(ctx, db, models.NewWebhook{URL: "https://203.0.113.9/hook", Events: []string{models.HookVoteCreated}, Actor: admin})
				if err != nil {
					b.Fatal(err)
				}
				defer func() {
					_ = models.DeleteWebhook(ctx, db, hook.ID)
					_, _ = db.Bun().NewDelete().Table("jobs").Where("kind = ?", models.JobWebhook).Exec(ctx)
				}()
				b.ReportAllocs()
				b.ResetTimer()
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

// BenchmarkTriage serves staff's triage, sorted and filtered, from portals
// of 10,000 and 100,000 ideas whose voters belong to 2,000 companies, and
// casts and withdraws a customer's vote there (the vote's transaction keeps
// the revenue at stake, critical count and weekly counts):
//
//	go test ./app/ -run '^$' -bench Triage -benchtime 200x
func BenchmarkTriage(b *testing.B) {
	for _, size := range triageSizes {
		b.Run(fmt.Sprintf("ideas=%d", size.ideas), func(b *testing.B) {
			ctx := context.Background()
			p := seededPortal(b, size)
			db, a := p.db, p.app
			var staffID int64
			if err := db.Bun().NewSelect().Table("users").Column("id").Where("role = 'staff'").OrderExpr("id").Limit(1).Scan(ctx, &staffID); err != nil {
				b.Fatal(err)
			}
			staff, err := models.UserByID(ctx, db, staffID)
			if err != nil {
				b.Fatal(err)
			}
			cookie := "cluetrain_session=" + storeSession(b, db, staff)
			for _, path := range []string{"/triage?sort=revenue", "/triage?sort=revenue&plan=enterprise", "/triage?sort=votes", "/triage?sort=trend&plan=starter"} {
				b.Run(path[len("/triage?"):], func(b *testing.B) {
					handler := a.fiber.Handler()
					var req fasthttp.Request
					req.Header.SetMethod(fasthttp.MethodGet)
					req.SetRequestURI(path)
					req.Header.SetHost("portal.test")
					req.Header.Set(fasthttp.HeaderCookie, cookie)
					var fctx fasthttp.RequestCtx
					fctx.Init(&req, nil, nil)
					handler(&fctx)
					if fctx.Response.StatusCode() != fasthttp.StatusOK || bytes.Count(fctx.Response.Body(), []byte(`class="idea-row triage-row"`)) != models.TriageLimit {
						b.Fatalf("status %d, not a full page", fctx.Response.StatusCode())
					}
					b.ReportAllocs()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						fctx.Init(&req, nil, nil)
						handler(&fctx)
						if fctx.Response.StatusCode() != fasthttp.StatusOK {
							b.Fatalf("status %d", fctx.Response.StatusCode())
						}
					}
				})
			}

			var voter int64
			if err := db.Bun().NewSelect().Table("users").Column("id").Where("company <> ''").Where("role = 'member'").OrderExpr("id DESC").Limit(1).Scan(ctx, &voter); err != nil {
				b.Fatal(err)
			}
			open := openIdeas(b, db, "ideas.id")
			b.Run("customer-vote-unvote", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					id := open[i%len(open)]
					if _, err := models.VoteWith(ctx, db, id, voter, models.ImportanceCritical); err != nil {
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

// benchAPIKey makes a read key in the seeded database, once per process.
func benchAPIKey(ctx context.Context, db *models.DB) (string, error) {
	benchPortals.Lock()
	defer benchPortals.Unlock()
	if benchPortals.keys == nil {
		benchPortals.keys = map[*models.DB]string{}
	}
	if k, ok := benchPortals.keys[db]; ok {
		return k, nil
	}
	_, token, err := models.CreateAPIKey(ctx, db, fmt.Sprintf("bench %p", db), models.ScopeRead)
	benchPortals.keys[db] = token
	return token, err
}

// checkHomePage makes sure a request answers with a full, compressed home
// page (signed in when it should be) before it is timed.
func checkHomePage(b *testing.B, handler fasthttp.RequestHandler, req *fasthttp.Request, signedIn bool) {
	b.Helper()
	var fctx fasthttp.RequestCtx
	fctx.Init(req, nil, nil)
	handler(&fctx)
	resp := &fctx.Response
	if resp.StatusCode() != fasthttp.StatusOK {
		b.Fatalf("status %d", resp.StatusCode())
	}
	if enc := string(resp.Header.ContentEncoding()); enc == "" {
		b.Fatalf("response not compressed")
	}
	html, err := resp.BodyUncompressed()
	if err != nil {
		b.Fatal(err)
	}
	if n := bytes.Count(html, []byte(`<li class="idea-row">`)); n != 20 {
		b.Fatalf("%d idea rows, want 20", n)
	}
	if got := bytes.Contains(html, []byte(`action="/logout"`)); got != signedIn {
		b.Fatalf("signed in: %v, want %v", got, signedIn)
	}
}
