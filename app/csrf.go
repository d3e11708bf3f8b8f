package app

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"
)

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
		var err error
		if value, err = randomToken(); err != nil {
			return ""
		}
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

// randomToken is 256 random bits, URL-safe: for states and secrets.
func randomToken() (string, error) {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(buf), nil
}
