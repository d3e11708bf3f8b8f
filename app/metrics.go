package app

import (
	"context"
	"crypto/subtle"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cluetrain/cluetrain/models"
)

// metrics are what /metrics shows, in Prometheus' text format. Each App has
// its own registry, so tests can build several.
//
//	cluetrain_http_requests_total{route,method,status}        counter
//	cluetrain_http_request_duration_seconds{route,method}     histogram
//	cluetrain_http_requests_in_flight                         gauge
//	cluetrain_page_cache_requests_total{result="hit"|"miss"}  counter
//	cluetrain_page_cache_evictions_total                      counter
//	cluetrain_page_cache_entries, cluetrain_page_cache_bytes  gauges
//	cluetrain_queue_depth                                     gauge: jobs waiting (claimed ones included)
//	cluetrain_queue_failed_jobs                               gauge: jobs that gave up
//	cluetrain_queue_jobs_total{kind,outcome}                  counter: attempts run here (done, retry, failed)
//	go_sql_*{db_name="cluetrain"}                             the connection pool (open, in use, idle, waits)
//	go_*, process_*                                           the runtime and process
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	jobs     *prometheus.CounterVec
	handler  fiber.Handler
}

func newMetrics(a *App) *metrics {
	m := &metrics{registry: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cluetrain_http_requests_total",
		Help: "HTTP requests answered, by route pattern, method and status.",
	}, []string{"route", "method", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "cluetrain_http_request_duration_seconds",
		Help:    "Time to answer HTTP requests, by route pattern and method.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"route", "method"})
	m.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "cluetrain_http_requests_in_flight",
		Help: "HTTP requests being answered now.",
	})
	m.jobs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cluetrain_queue_jobs_total",
		Help: "Job attempts this instance ran, by kind and outcome (done, retry, failed).",
	}, []string{"kind", "outcome"})
	cacheResult := func(result string, n func() int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "cluetrain_page_cache_requests_total",
			Help:        "Cacheable signed-out requests, by whether the page cache had the answer.",
			ConstLabels: prometheus.Labels{"result": result},
		}, func() float64 { return float64(n()) })
	}
	pages := func(f func(*pageCache) float64) func() float64 {
		return func() float64 {
			if a.pages == nil {
				return 0
			}
			return f(a.pages)
		}
	}
	dbGauge := func(name, help string, count func(context.Context, *models.DB) (int, error)) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := count(ctx, a.db)
			if err != nil {
				a.log.Warn("metrics: read "+name, "err", err)
				return -1
			}
			return float64(n)
		})
	}
	m.registry.MustRegister(
		m.requests, m.duration, m.inFlight, m.jobs,
		cacheResult("hit", func() int64 {
			if a.pages == nil {
				return 0
			}
			return a.pages.hits.Load()
		}),
		cacheResult("miss", func() int64 {
			if a.pages == nil {
				return 0
			}
			return a.pages.misses.Load()
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "cluetrain_page_cache_evictions_total",
			Help: "Pages dropped from the page cache to stay within its memory bound.",
		}, pages(func(pc *pageCache) float64 { return float64(pc.evictions.Load()) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "cluetrain_page_cache_entries",
			Help: "Pages held in the page cache.",
		}, pages(func(pc *pageCache) float64 { n, _ := pc.stats(); return float64(n) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "cluetrain_page_cache_bytes",
			Help: "Bytes held in the page cache.",
		}, pages(func(pc *pageCache) float64 { _, n := pc.stats(); return float64(n) })),
		dbGauge("cluetrain_queue_depth", "Jobs waiting to run, claimed ones included.", models.QueueDepth),
		dbGauge("cluetrain_queue_failed_jobs", "Jobs that gave up and wait for an admin.", models.FailedJobCount),
		collectors.NewDBStatsCollector(a.db.Bun().DB, "cluetrain"),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.handler = adaptor.HTTPHandler(promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	return m
}

// observe is middleware: it counts each request by the route pattern that
// answered it (never the raw path, which would make a series per idea).
func (m *metrics) observe(c *fiber.Ctx) error {
	start := time.Now()
	m.inFlight.Inc()
	defer m.inFlight.Dec()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		status = statusOf(err)
	}
	route := "unmatched"
	if r, ok := c.Locals(localRoute).(string); ok {
		route = r
	} else if rt := c.Route(); rt != nil && (rt.Path != "/" || c.Path() == "/") {
		// A request no route matched is left with the last middleware's
		// route, whose pattern is "/".
		route = rt.Path
	}
	method := c.Method()
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	return err
}

// jobDone counts one job attempt.
func (m *metrics) jobDone(kind, outcome string) {
	if m != nil {
		m.jobs.WithLabelValues(kind, outcome).Inc()
	}
}

// showMetrics serves /metrics, asking for METRICS_TOKEN as a bearer token
// when one is set.
func (a *App) showMetrics(c *fiber.Ctx) error {
	if want := a.cfg.MetricsToken; want != "" {
		got := c.Get(fiber.HeaderAuthorization)
		if subtle.ConstantTimeCompare([]byte(got), []byte("Bearer "+want)) != 1 {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
			return c.Status(fiber.StatusUnauthorized).SendString("401 Unauthorized: /metrics needs METRICS_TOKEN as a bearer token\n")
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return a.metrics.handler(c)
}
