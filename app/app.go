// Package app is the web application: routes, handlers, middleware, sessions
// and rendering. It is the only package that imports Fiber.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/session"

	"github.com/cluetrain/cluetrain/app/mail"
	"github.com/cluetrain/cluetrain/app/oauth"
	"github.com/cluetrain/cluetrain/models"
)

// App holds what the handlers share. Everything is passed in; nothing is
// global.
type App struct {
	cfg      Config
	db       *models.DB
	log      *slog.Logger
	secret   []byte
	assets   *assets
	views    *pageViews
	rows     *rowCache
	sessions *session.Store
	rates    map[string]Rate
	fiber    *fiber.App

	providers   []*oauth.Provider
	avatarHosts []string
	csp         string // the Content-Security-Policy of every response
	mailer      *mail.Mailer
	emails      *emailTemplates
	queue       *queue
	queueCfg    QueueConfig
	resolve     resolver     // webhook host names to addresses
	hookClient  *http.Client // delivers webhooks to public addresses only

	metrics        *metrics
	pages          *pageCache   // nil when turned off
	version        *dataVersion // this instance's reading of the data version
	pageCacheBytes int64
	cacheWindow    time.Duration
	roadmap        roadmapBoards // the roadmap columns members and staff see

	siteCache    siteCache
	onSiteChange func() // told when the site settings change, after the cache is dropped
}

// bodyLimit bounds every request body; larger ones get 413.
const bodyLimit = 256 * 1024

// New builds the application around an open, migrated database.
func New(ctx context.Context, cfg Config, db *models.DB, log *slog.Logger, opts ...Option) (*App, error) {
	a := &App{cfg: cfg, db: db, log: log, rates: map[string]Rate{}, resolve: systemResolver,
		pageCacheBytes: defaultCacheBytes, cacheWindow: defaultCacheWindow}
	for k, v := range defaultRates {
		a.rates[k] = v
	}
	a.providers = oauth.FromConfig(oauth.Config{
		BaseURL:   cfg.BaseURL,
		GitHubKey: cfg.GitHubKey, GitHubSecret: cfg.GitHubSecret,
		GoogleKey: cfg.GoogleKey, GoogleSecret: cfg.GoogleSecret,
		GitLabKey: cfg.GitLabKey, GitLabSecret: cfg.GitLabSecret,
		OIDCIssuer: cfg.OIDCIssuer, OIDCName: cfg.OIDCName,
		OIDCClientID: cfg.OIDCClientID, OIDCClientSecret: cfg.OIDCClientSecret,
	})
	if cfg.SMTPURL != "" {
		m, err := mail.New(cfg.SMTPURL, cfg.MailFrom)
		if err != nil {
			return nil, err
		}
		a.mailer = m
	}
	for _, o := range opts {
		o(a)
	}
	a.avatarHosts = avatarHosts(a.providers)
	a.csp = contentSecurityPolicy(a.avatarHosts)
	for _, p := range a.providers {
		// Discovery is retried at the first sign-in if the provider is
		// down now.
		if err := p.Prepare(ctx); err != nil {
			log.Warn("sign-in provider not reachable yet", "provider", p.Name, "err", err)
		}
	}

	if cfg.SecretKey != "" {
		a.secret = []byte(cfg.SecretKey)
	} else {
		key, err := models.SecretKey(ctx, db)
		if err != nil {
			return nil, err
		}
		a.secret = key
	}

	var err error
	if a.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if a.emails, err = loadEmailTemplates(); err != nil {
		return nil, err
	}

	if a.views, err = loadViews(a.templateFuncs()); err != nil {
		return nil, err
	}
	a.rows = newRowCache()
	a.version = &dataVersion{window: a.cacheWindow}
	if a.pageCacheBytes > 0 {
		a.pages = newPageCache(a.pageCacheBytes)
	}

	a.sessions = newSessionStore(cfg, db)
	a.metrics = newMetrics(a)
	a.hookClient = a.newHookClient()
	a.queue = newQueue(db, log, a.queueCfg)
	a.queue.metrics = a.metrics
	a.registerJobs()

	// Fiber believes forwarded protocol and host headers only from the
	// trusted proxies. It is given no ProxyHeader, with which c.IP() would
	// answer X-Forwarded-For as the client wrote it: the client address
	// comes from clientIP.
	a.fiber = fiber.New(fiber.Config{
		AppName:                 "Cluetrain",
		ErrorHandler:            a.handleError,
		BodyLimit:               logoBodyLimit, // limitBodies keeps bodyLimit elsewhere
		ReadTimeout:             15 * time.Second,
		WriteTimeout:            30 * time.Second,
		IdleTimeout:             120 * time.Second,
		DisableStartupMessage:   true,
		EnableTrustedProxyCheck: true,
		TrustedProxies:          cfg.TrustedProxies,
	})
	a.routes()
	return a, nil
}

// Handler exposes the Fiber app (for tests and the server).
func (a *App) Handler() *fiber.App { return a.fiber }

// Serve listens on addr and works the delivery queue until ctx is
// cancelled, then drains in-flight requests for at most drain and lets the
// deliveries under way finish.
func (a *App) Serve(ctx context.Context, addr string, drain time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- a.fiber.Listen(addr) }()
	worked := make(chan struct{})
	go func() { defer close(worked); a.queue.run(ctx) }()
	a.log.Info("serving", "addr", addr, "base_url", a.cfg.BaseURL, "database", a.dbKind())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down", "drain", drain)
	if err := a.fiber.ShutdownWithTimeout(drain); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutdown: %w", err)
	}
	// The queue stopped claiming when ctx ended; the deliveries under way
	// finish (each within its lease) before the process goes.
	<-worked
	return nil
}

func (a *App) dbKind() string {
	if a.db.PG() {
		return "postgres"
	}
	return "sqlite"
}
