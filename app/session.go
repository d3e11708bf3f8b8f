package app

import (
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/session"

	"github.com/cluetrain/cluetrain/models"
)

// sessionIdle is how long a session lives without being used; each use
// (checked at most every sessionTouch) pushes it forward.
const (
	sessionIdle  = 30 * 24 * time.Hour
	sessionTouch = time.Hour
)

// Session keys.
const (
	sessUserID = "uid"
	sessSeen   = "seen"
)

// sessionCookieName is the session cookie's name; over https it carries the
// __Host- prefix, which browsers allow only on Secure, host-only cookies
// with Path=/, so no sibling subdomain can set it.
func sessionCookieName(cfg Config) string {
	if cfg.Secure() {
		return "__Host-cluetrain_session"
	}
	return "cluetrain_session"
}

func newSessionStore(cfg Config, db *models.DB) *session.Store {
	return session.New(session.Config{
		Storage:        models.NewSessionStorage(db),
		Expiration:     sessionIdle,
		KeyLookup:      "cookie:" + sessionCookieName(cfg),
		CookiePath:     "/",
		CookieSecure:   cfg.Secure(),
		CookieHTTPOnly: true,
		CookieSameSite: "Lax",
	})
}

// loadUser is middleware: it reads the session (only when the request carries
// a session cookie, so anonymous pages cost no query), puts the signed-in
// user in the request locals, and slides the session's expiry forward.
func (a *App) loadUser(c *fiber.Ctx) error {
	if !a.hasSessionCookie(c) {
		return c.Next()
	}
	sess, err := a.sessions.Get(c)
	if err != nil {
		return fmt.Errorf("load session: %w", err)
	}
	uid, _ := sess.Get(sessUserID).(int64)
	if uid == 0 {
		return c.Next()
	}
	user, err := models.UserByID(c.UserContext(), a.db, uid)
	switch {
	case errors.Is(err, models.ErrNotFound):
		_ = sess.Destroy()
		return c.Next()
	case err != nil:
		return err
	}
	c.Locals(localUser, user)
	seen, _ := sess.Get(sessSeen).(int64)
	if now := a.db.Now(); now.Sub(time.Unix(seen, 0)) > sessionTouch {
		sess.Set(sessSeen, now.Unix())
		if err := sess.Save(); err != nil {
			return fmt.Errorf("touch session: %w", err)
		}
	}
	return c.Next()
}

func (a *App) hasSessionCookie(c *fiber.Ctx) bool {
	return c.Cookies("cluetrain_session") != "" || c.Cookies("__Host-cluetrain_session") != ""
}

// signIn starts a fresh session for the user: a new id (so an id planted
// before sign-in is worth nothing) holding only the user.
func (a *App) signIn(c *fiber.Ctx, userID int64) error {
	sess, err := a.sessions.Get(c)
	if err != nil {
		return fmt.Errorf("load session: %w", err)
	}
	if err := sess.Reset(); err != nil {
		return fmt.Errorf("reset session: %w", err)
	}
	sess.Set(sessUserID, userID)
	sess.Set(sessSeen, a.db.Now().Unix())
	if err := sess.Save(); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

// signOut deletes the session server-side and expires the cookie.
func (a *App) signOut(c *fiber.Ctx) error {
	sess, err := a.sessions.Get(c)
	if err != nil {
		return fmt.Errorf("load session: %w", err)
	}
	return sess.Destroy()
}

// currentUser is the signed-in user, or nil.
func currentUser(c *fiber.Ctx) *models.User {
	u, _ := c.Locals(localUser).(*models.User)
	return u
}
