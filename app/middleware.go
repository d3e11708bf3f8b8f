package app

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
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
)

// contentSecurityPolicy allows our own scripts and stylesheets only. Inline
// style attributes are allowed for status colours, which come from the
// statuses table; user-written HTML never keeps a style attribute (the
// sanitizer drops it). Avatars may come from OAuth providers over https.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; " +
	"img-src 'self' https: data:; font-src 'self'; connect-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

func (a *App) securityHeaders() fiber.Handler {
	cfg := helmet.Config{
		ContentSecurityPolicy:     contentSecurityPolicy,
		ReferrerPolicy:            "strict-origin-when-cross-origin",
		PermissionPolicy:          "camera=(), microphone=(), geolocation=(), interest-cohort=()",
		CrossOriginEmbedderPolicy: "unsafe-none", // provider avatars are not CORP-tagged
		CrossOriginOpenerPolicy:   "same-origin",
		CrossOriginResourcePolicy: "same-origin",
		XFrameOptions:             "DENY",
	}
	if a.cfg.Secure() {
		cfg.HSTSMaxAge = 63072000
	}
	return helmet.New(cfg)
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
		if fe, ok := err.(*fiber.Error); ok {
			status = fe.Code
		} else {
			status = statusOf(err)
		}
	}
	level := slog.LevelInfo
	if strings.HasPrefix(c.Path(), "/static/") || c.Path() == "/healthz" {
		level = slog.LevelDebug
	}
	a.log.Log(c.UserContext(), level, "request",
		"id", c.Locals(localRequestID),
		"method", c.Method(),
		"path", c.Path(),
		"status", status,
		"ms", float64(time.Since(start).Microseconds())/1000,
		"ip", c.IP(),
	)
	return err
}

// CSRF protection is a signed double-submit token: a random value lives in an
// HttpOnly cookie and every form carries HMAC(secret, value). It needs no
// server-side state, so it works across instances and costs no query, and it
// is issued only to pages that render a form (feeds never get a cookie).
const (
	csrfField  = "_csrf"
	csrfHeader = "X-CSRF-Token"
)

func (a *App) csrfCookieName() string {
	if a.cfg.Secure() {
		return "__Host-cluetrain_csrf"
	}
	return "cluetrain_csrf"
}

func (a *App) csrfSign(value string) string {
	m := hmac.New(sha256.New, a.secret)
	m.Write([]byte("csrf:" + value))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfToken returns the token for this request's forms, issuing the cookie
// if the visitor has none.
func (a *App) csrfToken(c *fiber.Ctx) string {
	if t, ok := c.Locals(localCSRF).(string); ok {
		return t
	}
	if c.Locals(localNoCookies) != nil {
		return ""
	}
	value := c.Cookies(a.csrfCookieName())
	if len(value) < 32 {
		buf := make([]byte, 32)
		_, _ = rand.Read(buf)
		value = base64.RawURLEncoding.EncodeToString(buf)
		c.Cookie(&fiber.Cookie{
			Name:     a.csrfCookieName(),
			Value:    value,
			Path:     "/",
			HTTPOnly: true,
			Secure:   a.cfg.Secure(),
			SameSite: "Lax",
			MaxAge:   int((365 * 24 * time.Hour).Seconds()),
		})
	}
	t := a.csrfSign(value)
	c.Locals(localCSRF, t)
	return t
}

// checkCSRF refuses a signed-in user's state-changing request without a
// valid token: 403, and the handler never runs. A signed-out request carries
// no credentials to forge, so it goes on to its route's gate, which asks the
// visitor to sign in (401 or 303); the routes that take signed-out posts
// check the token themselves with requireCSRF.
func (a *App) checkCSRF(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions, fiber.MethodTrace:
		return c.Next()
	}
	if currentUser(c) == nil {
		return c.Next()
	}
	return a.requireCSRF(c)
}

// requireCSRF refuses any request without a valid token: 403.
func (a *App) requireCSRF(c *fiber.Ctx) error {
	value := c.Cookies(a.csrfCookieName())
	sent := c.Get(csrfHeader)
	if sent == "" {
		sent = c.FormValue(csrfField)
	}
	if value == "" || sent == "" || !hmac.Equal([]byte(sent), []byte(a.csrfSign(value))) {
		return fiber.NewError(fiber.StatusForbidden, "This form has expired or did not come from this site. Go back, reload the page and try again.")
	}
	return c.Next()
}
