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

func TestGracefulShutdownDrainsInFlightRequests(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	ta := newTestApp(t, db)
	started := make(chan struct{})
	ta.fiber.Get("/slow", func(c *fiber.Ctx) error {
		close(started)
		time.Sleep(300 * time.Millisecond)
		return c.SendString("finished")
	})
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ta.Serve(ctx, fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second) }()

	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	var resp *http.Response
	var err error
	for i := 0; i < 100; i++ {
		if resp, err = http.Get(url + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("server never answered: %v", err)
	}

	type result struct {
		status int
		body   string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get(url + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- result{status: resp.StatusCode, body: string(b)}
	}()
	<-started
	cancel() // as SIGTERM would
	r := <-got
	if r.err != nil || r.status != http.StatusOK || r.body != "finished" {
		t.Errorf("in-flight request: %+v, want 200 finished", r)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve returned %v", err)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("server still answers after shutdown")
	}
}

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
	cfg, err := LoadConfig(map[string]string{"PORT": value("PORT"), "DATABASE_URL": value("DATABASE_URL")})
	if err != nil {
		t.Fatalf("fly.toml's environment does not load: %v", err)
	}
	if port := value("internal_port"); port != fmt.Sprint(cfg.PortNumber) {
		t.Errorf("internal_port %s, app port %d", port, cfg.PortNumber)
	}
	if p := value("path"); p != "/healthz" {
		t.Errorf("health check path %q, want /healthz", p)
	}
	if v := value("destination"); v != "/data" || !strings.HasPrefix(cfg.DatabaseURL, "sqlite:/data/") {
		t.Errorf("volume at %q, database %q", v, cfg.DatabaseURL)
	}
	if v := value("force_https"); v != "true" {
		t.Errorf("force_https = %s", v)
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
	_, _ = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: localhost\r\nCookie: cluetrain_session=SECRET-SESSION-ID\r\nNoColonHere\r\n\r\n")
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
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
