package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSoak runs mixed reads and writes against a served portal for as long
// as CLUETRAIN_SOAK says ("10m"), on CLUETRAIN_SOAK_DB (sqlite, the default,
// or postgres), and logs the heap and goroutines once every twentieth of
// the run. It fails on any failed request, if the live heap at the end is
// more than half as large again as at half time (the row and page caches
// have filled by then), or if the goroutines do not come back to where they
// were once the load stops. It is not run unless asked for:
//
//	CLUETRAIN_SOAK=10m go test ./app -run TestSoak -v -timeout 20m
func TestSoak(t *testing.T) {
	spec := os.Getenv("CLUETRAIN_SOAK")
	if spec == "" {
		t.Skip("set CLUETRAIN_SOAK to a duration to soak")
	}
	length, err := time.ParseDuration(spec)
	if err != nil || length < 20*time.Second {
		t.Fatalf("CLUETRAIN_SOAK=%q: want a duration of at least 20s", spec)
	}
	dialect := os.Getenv("CLUETRAIN_SOAK_DB")
	if dialect == "" {
		dialect = "sqlite"
	}
	portal := newDrillPortal(t, dialect, 24, 200)
	// As production runs it: the real clock, and the request log thrown
	// away rather than kept in memory as the other tests keep it.
	cfg, err := LoadConfig(map[string]string{"BASE_URL": "http://portal.test"})
	if err != nil {
		t.Fatal(err)
	}
	ta, err := New(context.Background(), cfg, portal.db, slog.New(slog.DiscardHandler), WithoutRateLimits())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = ta.fiber.Listener(ln) }()
	t.Cleanup(func() { _ = ta.fiber.Shutdown() })
	base := "http://" + ln.Addr().String()

	sample := func() (heapMiB float64, goroutines int) {
		// Twice: the first collection only moves pooled buffers aside.
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return float64(ms.HeapAlloc) / (1 << 20), runtime.NumGoroutine()
	}
	_, idleGoroutines := sample()

	var (
		reads, writes atomic.Int64
		failures      atomic.Int64
		firstFailure  atomic.Value
		stop          = make(chan struct{})
		wg            sync.WaitGroup
	)
	fail := func(what string) {
		if failures.Add(1) == 1 {
			firstFailure.Store(what)
		}
	}
	get := func(hc *http.Client, path string, v *drillVoter) {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		if v != nil {
			req.AddCookie(&http.Cookie{Name: "cluetrain_session", Value: v.session})
		}
		resp, err := hc.Do(req)
		if err != nil {
			fail(err.Error())
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			fail(fmt.Sprintf("GET %s: %d", path, resp.StatusCode))
		}
		reads.Add(1)
	}
	pages := []string{"/", "/?sort=top", "/?sort=new", "/roadmap", "/changelog", "/feeds/ideas.atom", "/sitemap.xml"}
	// Signed-out readers: most of the traffic.
	for r := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &http.Client{Timeout: 30 * time.Second}
			defer hc.CloseIdleConnections()
			for i := r; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if i%3 == 0 {
					idea := portal.ideas[i%len(portal.ideas)]
					get(hc, ideaPath(idea.ID, idea.Slug), nil)
				} else {
					get(hc, pages[i%len(pages)], nil)
				}
			}
		}()
	}
	// Signed-in people read, vote and unvote, and now and then comment.
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			defer hc.CloseIdleConnections()
			for i := w; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				v := portal.voters[i%len(portal.voters)]
				idea := portal.ideas[(i*7)%len(portal.ideas)]
				get(hc, "/", &v)
				status, _, _, err := v.vote(hc, base, idea.ID)
				if err != nil || (status != http.StatusOK && status != http.StatusServiceUnavailable) {
					fail(fmt.Sprintf("vote: %d %v", status, err))
				}
				writes.Add(1)
				if i%10 == 0 {
					req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/ideas/%d/comments", base, idea.ID),
						strings.NewReader(fmt.Sprintf("_csrf=%s&body=Soak+comment+%d", v.csrf, i)))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.AddCookie(&http.Cookie{Name: "cluetrain_session", Value: v.session})
					resp, err := hc.Do(req)
					if err != nil {
						fail(err.Error())
						continue
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusServiceUnavailable {
						fail(fmt.Sprintf("comment: %d", resp.StatusCode))
					}
					writes.Add(1)
				}
			}
		}()
	}

	step := length / 20
	start := time.Now()
	var halfHeap float64
	t.Logf("%8s %10s %10s %10s %10s %8s", "elapsed", "heap MiB", "goroutines", "reads/s", "writes/s", "failures")
	var lastReads, lastWrites int64
	tick := time.NewTicker(step)
	defer tick.Stop()
	for i := 1; i <= 20; i++ {
		<-tick.C
		heap, goroutines := sample()
		r, w := reads.Load(), writes.Load()
		t.Logf("%8s %10.1f %10d %10.0f %10.0f %8d", time.Since(start).Round(time.Second), heap, goroutines,
			float64(r-lastReads)/step.Seconds(), float64(w-lastWrites)/step.Seconds(), failures.Load())
		lastReads, lastWrites = r, w
		if i == 10 {
			halfHeap = heap
		}
	}
	close(stop)
	wg.Wait()

	heap, goroutines := sample()
	entries, bytes := ta.pages.stats()
	t.Logf("after the load: heap %.1f MiB, %d goroutines (%d before), %d reads, %d writes, page cache %d entries / %d KiB",
		heap, goroutines, idleGoroutines, reads.Load(), writes.Load(), entries, bytes>>10)
	if n := failures.Load(); n > 0 {
		t.Errorf("%d failed requests, first: %v", n, firstFailure.Load())
	}
	if heap > 1.5*halfHeap+4 {
		t.Errorf("the live heap grew from %.1f MiB at half time to %.1f MiB", halfHeap, heap)
	}
	// The server's idle workers and the pool's connections wind down on
	// their own timers.
	deadline := time.Now().Add(time.Minute)
	for runtime.NumGoroutine() > idleGoroutines+4 && time.Now().Before(deadline) {
		runtime.Gosched()
		time.Sleep(100 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > idleGoroutines+4 {
		var stacks strings.Builder
		_ = pprof.Lookup("goroutine").WriteTo(&stacks, 1)
		t.Errorf("%d goroutines a minute after the load, %d before:\n%s", n, idleGoroutines, stacks.String())
	}
}
