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

// CSRF tokens are bound to what the request signs in with. A request that
// carries a session cookie gets HMAC(secret, its session id): the id lives
// only in that browser's HttpOnly cookie, so a page elsewhere cannot compute
// the token, not even one able to plant cookies for this host (a sibling
// subdomain, or a network attacker on plain http where the __Host- prefix is
// not used). Signing in starts a session with a new id, so every token issued
// before dies with it. A visitor without a session has nothing to forge, but
// the sign-in and sign-out forms still carry a token: HMAC of a random value
// in an HttpOnly browser cookie, issued with the first form. Tokens need no
// server-side state, so they work across instances and cost no query, and
// they are issued only to pages that render a form (feeds never get a
// cookie).
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

// csrfFor is the token for a request carrying these cookie values (either
// may be empty), or "" when it carries neither.
func (a *App) csrfFor(session, browser string) string {
	var bound string
	switch {
	case session != "":
		bound = "session:" + session
	case browser != "":
		bound = "browser:" + browser
	default:
		return ""
	}
	m := hmac.New(sha256.New, a.secret)
	m.Write([]byte("csrf:" + bound))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// expectedCSRF is the token this request must carry.
func (a *App) expectedCSRF(c *fiber.Ctx) string {
	return a.csrfFor(c.Cookies(sessionCookieName(a.cfg)), c.Cookies(a.csrfCookieName()))
}

// csrfToken returns the token for this request's forms, issuing the browser
// cookie to a visitor who has neither it nor a session.
func (a *App) csrfToken(c *fiber.Ctx) string {
	if t, ok := c.Locals(localCSRF).(string); ok {
		return t
	}
	if c.Locals(localNoCookies) != nil {
		return ""
	}
	session := c.Cookies(sessionCookieName(a.cfg))
	browser := c.Cookies(a.csrfCookieName())
	if session == "" && len(browser) < 32 {
		var err error
		if browser, err = randomToken(); err != nil {
			return ""
		}
		c.Cookie(&fiber.Cookie{
			Name:     a.csrfCookieName(),
			Value:    browser,
			Path:     "/",
			HTTPOnly: true,
			Secure:   a.cfg.Secure(),
			SameSite: "Lax",
			MaxAge:   int((365 * 24 * time.Hour).Seconds()),
		})
	}
	t := a.csrfFor(session, browser)
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
	want := a.expectedCSRF(c)
	sent := c.Get(csrfHeader)
	if sent == "" {
		sent = c.FormValue(csrfField)
	}
	if want == "" || sent == "" || !hmac.Equal([]byte(sent), []byte(want)) {
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
