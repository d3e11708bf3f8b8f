package app

import (
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/helmet"
	"github.com/gofiber/fiber/v2/middleware/requestid"
)

// Keys of request locals.
const (
	localUser      = "user"
	localRequestID = "requestid"
	localCSRF      = "csrf"
	localNoCookies = "nocookies"
	localRoute     = "route" // the route pattern of a page served from the cache
)

// contentSecurityPolicy allows our own scripts and stylesheets only. Inline
// style attributes are allowed for status colours, which come from the
// statuses table; user-written HTML never keeps a style attribute (the
// sanitizer drops it). Images come from the portal itself and from the
// picture hosts of the sign-in providers (see avatarURL), never from a host
// a post names.
func contentSecurityPolicy(avatarHosts []string) string {
	img := "'self' data:"
	for _, h := range avatarHosts {
		img += " https://" + h
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; " +
		"img-src " + img + "; font-src 'self'; connect-src 'self'; form-action 'self'; " +
		"frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
}

// hsts keeps browsers on https for two years once they have seen it.
const hsts = "max-age=63072000; includeSubDomains"

func (a *App) securityHeaders() fiber.Handler {
	cfg := helmet.Config{
		ContentSecurityPolicy:     a.csp,
		ReferrerPolicy:            "strict-origin-when-cross-origin",
		PermissionPolicy:          "camera=(), microphone=(), geolocation=(), interest-cohort=()",
		CrossOriginEmbedderPolicy: "unsafe-none", // provider avatars are not CORP-tagged
		CrossOriginOpenerPolicy:   "same-origin",
		CrossOriginResourcePolicy: "same-origin",
		XFrameOptions:             "DENY",
	}
	h := helmet.New(cfg)
	if !a.cfg.Secure() {
		return h
	}
	// Helmet sends HSTS only on requests that arrived over TLS, and behind
	// a proxy that ends TLS none do. The portal's public address is what
	// says whether it is served over https.
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderStrictTransportSecurity, hsts)
		return h(c)
	}
}

func requestID() fiber.Handler {
	return requestid.New(requestid.Config{ContextKey: localRequestID})
}

// logRequests writes one structured line per request.
func (a *App) logRequests(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		// The error handler runs after us; its status is what the client sees.
		status = statusOf(err)
	}
	level := slog.LevelInfo
	if strings.HasPrefix(c.Path(), "/static/") || c.Path() == "/healthz" {
		level = slog.LevelDebug
	}
	a.log.Log(c.UserContext(), level, "request",
		"id", c.Locals(localRequestID),
		"method", c.Method(),
		"path", loggedPath(c),
		"status", status,
		"ms", float64(time.Since(start).Microseconds())/1000,
		"ip", a.clientIP(c),
	)
	return err
}

// loggedPath is the request path as logs show it: the secret part of a path
// that carries one (a sign-in token) is left out, so logs never hold
// anything that signs someone in.
func loggedPath(c *fiber.Ctx) string {
	path := c.Path()
	for _, prefix := range []string{"/login/email/"} {
		if strings.HasPrefix(path, prefix) && len(path) > len(prefix) {
			return prefix + ":token"
		}
	}
	return path
}
