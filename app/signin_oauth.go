package app

import (
	"crypto/subtle"
	"fmt"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/app/oauth"
	"github.com/cluetrain/cluetrain/models"
)

// Session keys that carry an OAuth sign-in from its start to its callback.
const (
	sessOAuthProvider = "oauth_provider"
	sessOAuthState    = "oauth_state"
	sessOAuthSession  = "oauth_session"
	sessOAuthVerifier = "oauth_verifier"
	sessOAuthNonce    = "oauth_nonce"
	sessOAuthNext     = "oauth_next"
)

// oauthPending is how long a signed-out visitor's session lives while a
// provider sign-in is under way; signing in replaces it with a full one.
const oauthPending = 15 * time.Minute

// provider finds a configured provider by its route name.
func (a *App) provider(name string) *oauth.Provider {
	for _, p := range a.providers {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// beginAuth sends the browser to the provider with a fresh random state,
// kept in the session (with the PKCE verifier, the nonce and where to go
// afterwards) until the callback.
func (a *App) beginAuth(c *fiber.Ctx) error {
	p := a.provider(c.Params("provider"))
	if p == nil {
		return fiber.ErrNotFound
	}
	state, err := randomToken()
	if err != nil {
		return err
	}
	start, err := p.Begin(c.UserContext(), state)
	if err != nil {
		a.log.Warn("sign-in provider unavailable", "provider", p.Name, "err", err)
		return a.renderLogin(c, fiber.StatusBadGateway, fiber.Map{
			"Next":   safeNext(c.Query("next")),
			"Notice": fmt.Sprintf("We couldn't reach %s just now. Please try again in a moment, or sign in by email.", p.Label),
		})
	}
	sess, err := a.sessions.Get(c)
	if err != nil {
		return fmt.Errorf("load session: %w", err)
	}
	sess.Set(sessOAuthProvider, p.Name)
	sess.Set(sessOAuthState, state)
	sess.Set(sessOAuthSession, start.Session)
	sess.Set(sessOAuthVerifier, start.Verifier)
	sess.Set(sessOAuthNonce, start.Nonce)
	sess.Set(sessOAuthNext, safeNext(c.Query("next")))
	if sess.Get(sessUserID) == nil {
		sess.SetExpiry(oauthPending)
	}
	if err := sess.Save(); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(start.URL, fiber.StatusSeeOther)
}

// errBadState refuses a callback whose state is missing, wrong or spent.
var errBadState = fiber.NewError(fiber.StatusBadRequest,
	"This sign-in could not be verified: it may have expired, been used already, or been started in another browser. Please sign in again.")

// finishAuth completes a sign-in on the provider's callback. The state is
// checked and spent before anything else, so a callback works at most once.
func (a *App) finishAuth(c *fiber.Ctx) error {
	p := a.provider(c.Params("provider"))
	if p == nil {
		return fiber.ErrNotFound
	}
	if !a.hasSessionCookie(c) {
		return errBadState
	}
	sess, err := a.sessions.Get(c)
	if err != nil {
		return fmt.Errorf("load session: %w", err)
	}
	want, _ := sess.Get(sessOAuthState).(string)
	provider, _ := sess.Get(sessOAuthProvider).(string)
	var start oauth.Start
	start.Session, _ = sess.Get(sessOAuthSession).(string)
	start.Verifier, _ = sess.Get(sessOAuthVerifier).(string)
	start.Nonce, _ = sess.Get(sessOAuthNonce).(string)
	next, _ := sess.Get(sessOAuthNext).(string)
	if want == "" {
		return errBadState
	}
	for _, k := range []string{sessOAuthProvider, sessOAuthState, sessOAuthSession, sessOAuthVerifier, sessOAuthNonce, sessOAuthNext} {
		sess.Delete(k)
	}
	if sess.Get(sessUserID) == nil {
		sess.SetExpiry(oauthPending)
	}
	if err := sess.Save(); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	got := c.Query("state")
	if provider != p.Name || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errBadState
	}

	if e := c.Query("error"); e != "" {
		msg := fmt.Sprintf("%s reported a problem and didn't sign you in. Please try again, or sign in by email.", p.Label)
		if e == "access_denied" {
			msg = fmt.Sprintf("Signing in with %s was cancelled. You can try again, or sign in by email.", p.Label)
		}
		return a.renderLogin(c, fiber.StatusBadRequest, fiber.Map{"Next": next, "Notice": msg})
	}
	query, err := url.ParseQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		return errBadState
	}
	profile, err := p.Finish(c.UserContext(), start, query)
	if err != nil {
		a.log.Warn("sign-in with provider failed", "provider", p.Name, "err", err)
		return a.renderLogin(c, fiber.StatusBadGateway, fiber.Map{
			"Next":   next,
			"Notice": fmt.Sprintf("We couldn't complete signing in with %s. Please try again in a moment, or sign in by email.", p.Label),
		})
	}
	mp := models.Profile{
		Provider:      p.Name,
		Subject:       profile.Subject,
		Email:         profile.Email,
		EmailVerified: profile.EmailVerified,
		Name:          profile.Name,
		AvatarURL:     profile.AvatarURL,
	}
	if cu := profile.Customer; cu != nil {
		mp.Company, mp.Plan, mp.MRRCents = cu.Company, cu.Plan, cu.MRRCents
	}
	res, err := models.SignInWithProvider(c.UserContext(), a.db, mp, a.roles())
	if err != nil {
		return err
	}
	return a.finishSignIn(c, res, next)
}
