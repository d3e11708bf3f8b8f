package app

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/cluetrain/cluetrain/models/dbtest"
)

func TestClientIPBelievesOnlyTheTrustedHops(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	ta := newTestAppWith(t, db, map[string]string{"BASE_URL": "http://portal.test", "TRUSTED_PROXIES": "10.0.0.0/8, fdaa::/16"})
	direct := newTestAppWith(t, db, map[string]string{"BASE_URL": "http://portal.test"})
	for _, tc := range []struct {
		name      string
		app       *testApp
		peer      string
		forwarded []string // X-Forwarded-For header lines
		want      string
	}{
		{"no proxies configured", direct, "203.0.113.9", []string{"198.51.100.1"}, "203.0.113.9"},
		{"untrusted peer", ta, "203.0.113.9", []string{"198.51.100.1"}, "203.0.113.9"},
		{"trusted peer, no header", ta, "10.0.0.2", nil, "10.0.0.2"},
		{"one proxy", ta, "10.0.0.2", []string{"203.0.113.7"}, "203.0.113.7"},
		{"client-written prefix", ta, "10.0.0.2", []string{"198.51.100.1, 203.0.113.7"}, "203.0.113.7"},
		{"two proxies", ta, "10.0.0.2", []string{"198.51.100.1, 203.0.113.7, 10.0.0.3"}, "203.0.113.7"},
		{"two header lines", ta, "10.0.0.2", []string{"198.51.100.1", "203.0.113.7"}, "203.0.113.7"},
		{"garbage left of the client", ta, "10.0.0.2", []string{"<script>, 203.0.113.7"}, "203.0.113.7"},
		{"garbage in a trusted hop", ta, "10.0.0.2", []string{"203.0.113.7, not-an-address"}, "10.0.0.2"},
		{"with a port", ta, "10.0.0.2", []string{"203.0.113.7:4711"}, "203.0.113.7"},
		{"mapped IPv4", ta, "10.0.0.2", []string{"::ffff:203.0.113.7"}, "203.0.113.7"},
		{"IPv6", ta, "fdaa::1", []string{"2001:db8::1"}, "2001:db8::1"},
		{"every hop trusted", ta, "10.0.0.2", []string{"10.0.0.5, 10.0.0.3"}, "10.0.0.5"},
	} {
		var req fasthttp.Request
		for _, v := range tc.forwarded {
			req.Header.Add("X-Forwarded-For", v)
		}
		var fctx fasthttp.RequestCtx
		fctx.Init(&req, &net.TCPAddr{IP: net.ParseIP(tc.peer), Port: 5000}, nil)
		c := tc.app.fiber.AcquireCtx(&fctx)
		got := tc.app.clientIP(c)
		tc.app.fiber.ReleaseCtx(c)
		if got != tc.want {
			t.Errorf("%s: client = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// A client that writes a fresh X-Forwarded-For on every request through a
// trusted proxy still meets the limit of the one address the proxy saw.
func TestRotatedForwardedHeaderMeetsTheLimit(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	// Test requests come from 0.0.0.0, standing in for the proxy.
	ta := newTestAppWith(t, db, map[string]string{"BASE_URL": "http://portal.test", "TRUSTED_PROXIES": "0.0.0.0"})
	c := ta.client()
	limited := 0
	for i := 1; i <= 70; i++ {
		resp := c.get(fmt.Sprintf("/login/email/x%d", i), "X-Forwarded-For", fmt.Sprintf("198.51.100.%d, 203.0.113.7", i))
		body(t, resp)
		switch resp.StatusCode {
		case http.StatusTooManyRequests:
			limited++
		case http.StatusNotFound:
		default:
			t.Fatalf("request %d: status %d", i, resp.StatusCode)
		}
	}
	if want := 70 - defaultRates["signin-ip"].Max; limited != want {
		t.Errorf("%d requests were limited, want %d", limited, want)
	}
	// The request log names the address the proxy saw, never the rest.
	logs := ta.logs.String()
	if n := strings.Count(logs, "ip=203.0.113.7"); n != 70 {
		t.Errorf("%d log lines name 203.0.113.7, want 70", n)
	}
	if strings.Contains(logs, "198.51.100.") {
		t.Error("the log repeats addresses the client wrote")
	}
}
