package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models/dbtest"
)

// freePort returns a loopback port nobody listens on.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestGracefulShutdownDrainsInFlightRequests holds a request in its handler,
// shuts the server down, waits until it takes no new connections, and only
// then lets the request finish: it must still be answered in full.
func TestGracefulShutdownDrainsInFlightRequests(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	ta := newTestApp(t, db)
	started, release := make(chan struct{}), make(chan struct{})
	ta.fiber.Get("/slow", func(c *fiber.Ctx) error {
		close(started)
		<-release
		return c.SendString("finished")
	})
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- ta.Serve(ctx, fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second) }()

	// A new connection for every request, so that a refusal means the
	// server has closed its listener.
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	answers := func() bool {
		resp, err := hc.Get(url + "/healthz")
		if err != nil {
			return false
		}
		return resp.Body.Close() == nil && resp.StatusCode == http.StatusOK
	}
	waitUntil(t, 10*time.Second, "the server to answer", answers)

	type result struct {
		status int
		body   string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := hc.Get(url + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{status: resp.StatusCode, body: string(b), err: err}
	}()
	<-started
	cancel() // as SIGTERM would
	waitUntil(t, 10*time.Second, "the server to stop taking connections", func() bool { return !answers() })
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) while a request was in flight", err)
	default:
	}
	close(release)
	r := <-got
	if r.err != nil || r.status != http.StatusOK || r.body != "finished" {
		t.Errorf("in-flight request: %+v, want 200 finished", r)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve returned %v", err)
	}
}

// fly.toml runs three machines on PostgreSQL: no volume, the database URL
// a secret, SIGTERM with time to drain, the health check on /healthz.
func TestFlyConfigMatchesTheApp(t *testing.T) {
	raw, err := os.ReadFile("../fly.toml")
	if err != nil {
		t.Fatal(err)
	}
	fly := string(raw)
	value := func(key string) string {
		m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(key) + `\s*=\s*"?([^"\n]+)"?\s*$`).FindStringSubmatch(fly)
		if m == nil {
			t.Fatalf("fly.toml has no %s", key)
		}
		return strings.TrimSpace(m[1])
	}
	cfg, err := LoadConfig(map[string]string{
		"PORT": value("PORT"), "TRUSTED_PROXIES": value("TRUSTED_PROXIES"),
		"DATABASE_URL": "postgres://cluetrain:secret@db.internal:5432/cluetrain?sslmode=require",
	})
	if err != nil {
		t.Fatalf("fly.toml's environment does not load: %v", err)
	}
	if port := value("internal_port"); port != fmt.Sprint(cfg.PortNumber) {
		t.Errorf("internal_port %s, app port %d", port, cfg.PortNumber)
	}
	if p := value("path"); p != "/healthz" {
		t.Errorf("health check path %q, want /healthz", p)
	}
	if v := value("force_https"); v != "true" {
		t.Errorf("force_https = %s", v)
	}
	if v := value("kill_signal"); v != "SIGTERM" {
		t.Errorf("kill_signal = %s: the portal drains on SIGTERM", v)
	}
	if v, err := time.ParseDuration(value("kill_timeout")); err != nil || v < 10*time.Second+time.Second {
		t.Errorf("kill_timeout = %s, shorter than the 10s drain", value("kill_timeout"))
	}
	if v := value("min_machines_running"); v != "3" {
		t.Errorf("min_machines_running = %s, want 3", v)
	}
	// Several machines share one PostgreSQL: no volume, no SQLite file.
	for _, line := range strings.Split(fly, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") {
			continue
		}
		if strings.Contains(line, "[[mounts]]") || strings.HasPrefix(line, "DATABASE_URL") {
			t.Errorf("fly.toml sets %q: the database URL is a secret and machines keep no volume", line)
		}
	}
	// The health path answers 200 on the real app.
	ta := newTestApp(t, dbtest.Open(t, "sqlite"))
	wantStatus(t, ta.client().get(value("path")), http.StatusOK)
}

func TestUnreadableRequestsGetAPlainRefusal(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	ta := newTestApp(t, db)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = ta.fiber.Listener(ln) }()
	t.Cleanup(func() { _ = ta.fiber.Shutdown() })

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: localhost\r\nCookie: cluetrain_session=SECRET-SESSION-ID\r\nNoColonHere\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
	page := string(b)
	for _, leak := range []string{"SECRET-SESSION-ID", "NoColonHere", "MIME", "Buffer size"} {
		if strings.Contains(page, leak) {
			t.Errorf("the refusal quotes the request (%q)", leak)
		}
	}
	if resp.Header.Get("Content-Security-Policy") == "" {
		t.Error("the refusal has no Content-Security-Policy")
	}
}
