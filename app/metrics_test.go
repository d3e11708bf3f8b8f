package app

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func TestMetricsCountRequestsCacheQueueAndPool(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestAppWith(t, db, map[string]string{"BASE_URL": "http://portal.test", "METRICS_TOKEN": "s3cret"}, WithoutRateLimits())
		cast := dbtest.People(t, db)
		idea := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: cast.Ann, Title: "Webhooks"})
		visitor := &client{ta: ta, cookies: map[string]string{}}
		wantStatus(t, visitor.get("/"), http.StatusOK)
		wantStatus(t, visitor.get("/"), http.StatusOK)
		wantStatus(t, visitor.get(ideaPath(idea.ID, idea.Slug)), http.StatusOK)
		wantStatus(t, visitor.get("/no/such/page"), http.StatusNotFound)

		for _, auth := range []string{"", "Bearer wrong", "s3cret"} {
			resp := visitor.get("/metrics", "Authorization", auth)
			wantStatus(t, resp, http.StatusUnauthorized)
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Fatalf("401 without WWW-Authenticate")
			}
		}
		resp := visitor.get("/metrics", "Authorization", "Bearer s3cret")
		text := wantStatus(t, resp, http.StatusOK)
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Fatalf("Content-Type = %q", ct)
		}
		for _, line := range []string{
			`cluetrain_http_requests_total{method="GET",route="/",status="200"} 2`,
			`cluetrain_http_requests_total{method="GET",route="/ideas/:id/:slug",status="200"} 1`,
			`cluetrain_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
			`cluetrain_http_requests_total{method="GET",route="/metrics",status="401"} 3`,
			`cluetrain_http_request_duration_seconds_count{method="GET",route="/"} 2`,
			`cluetrain_page_cache_requests_total{result="hit"} 1`,
			`cluetrain_page_cache_requests_total{result="miss"} 2`,
			`cluetrain_page_cache_entries 2`,
			`cluetrain_queue_depth 0`,
			`cluetrain_queue_failed_jobs 0`,
			`go_sql_max_open_connections{db_name="cluetrain"}`,
			`go_goroutines `,
		} {
			if !strings.Contains(text, line) {
				t.Errorf("/metrics lacks %q", line)
			}
		}
		if t.Failed() {
			t.Logf("metrics:\n%s", text)
		}
	})
}

func TestMetricsAreOpenWithoutAToken(t *testing.T) {
	ta := newTestApp(t, dbtest.Open(t, "sqlite"))
	visitor := &client{ta: ta, cookies: map[string]string{}}
	resp := visitor.get("/metrics")
	if text := wantStatus(t, resp, http.StatusOK); !strings.Contains(text, "cluetrain_page_cache_bytes ") {
		t.Fatalf("/metrics without METRICS_TOKEN:\n%s", text)
	}
	if len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("/metrics set a cookie")
	}
}
