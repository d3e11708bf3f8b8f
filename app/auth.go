package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/app/mail"
	"github.com/cluetrain/cluetrain/app/oauth"
	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/views"
)

// Session keys that carry an OAuth sign-in from its start to its callback.
const (
	sessOAuthProvider = "oauth_provider"
	sessOAuthState    = "oauth_state"
	sessOAuthSession  = "oauth_session"
	sessOAuthVerifier = "oauth_verifier"
	sessOAuthNext     = "oauth_next"
)

// oauthPending is how long a signed-out visitor's session lives while a
// provider sign-in is under way; signing in replaces it with a full one.
const oauthPending = 15 * time.Minute

// showLogin shows the providers that are configured and the email form.
func (a *App) showLogin(c *fiber.Ctx) error {
	return a.renderLogin(c, fiber.StatusOK, fiber.Map{"Next": safeNext(c.Query("next"))})
}

func (a *App) renderLogin(c *fiber.Ctx, status int, data fiber.Map) error {
	data["Title"] = "Sign in"
	data["Description"] = "Sign in to post ideas, vote and comment."
	data["Providers"] = a.providers
	for k, v := range map[string]any{"Next": "/", "Email": "", "Notice": "", "Errors": map[string]string{}} {
		if _, ok := data[k]; !ok {
			data[k] = v
		}
	}
	return a.render(c, status, "login", data)
}

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
// kept in the session (with the PKCE verifier and where to go afterwards)
// until the callback.
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
	gothSession, _ := sess.Get(sessOAuthSession).(string)
	verifier, _ := sess.Get(sessOAuthVerifier).(string)
	next, _ := sess.Get(sessOAuthNext).(string)
	if want == "" {
		return errBadState
	}
	for _, k := range []string{sessOAuthProvider, sessOAuthState, sessOAuthSession, sessOAuthVerifier, sessOAuthNext} {
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
	profile, err := p.Finish(c.UserContext(), gothSession, verifier, query)
	if err != nil {
		a.log.Warn("sign-in with provider failed", "provider", p.Name, "err", err)
		return a.renderLogin(c, fiber.StatusBadGateway, fiber.Map{
			"Next":   next,
			"Notice": fmt.Sprintf("We couldn't complete signing in with %s. Please try again in a moment, or sign in by email.", p.Label),
		})
	}
	res, err := models.SignInWithProvider(c.UserContext(), a.db, models.Profile{
		Provider:      p.Name,
		Subject:       profile.Subject,
		Email:         profile.Email,
		EmailVerified: profile.EmailVerified,
		Name:          profile.Name,
		AvatarURL:     profile.AvatarURL,
	}, a.roles())
	if err != nil {
		return err
	}
	return a.finishSignIn(c, res, next)
}

// sendLoginLink emails a single-use sign-in link. The reply is the same
// whether or not the address has an account.
func (a *App) sendLoginLink(c *fiber.Ctx) error {
	raw := strings.Clone(c.FormValue("email"))
	next := safeNext(c.FormValue("next"))
	token, err := models.CreateLoginLink(c.UserContext(), a.db, raw, next)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return a.renderLogin(c, fiber.StatusUnprocessableEntity, fiber.Map{"Next": next, "Email": raw, "Errors": ve.Fields})
	}
	if err != nil {
		return err
	}
	email, _ := models.CheckEmail(raw)
	link := a.cfg.URL("/login/email/" + token)
	if err := a.mailLoginLink(c.UserContext(), email, link); err != nil {
		a.log.Error("send sign-in link", "id", c.Locals(localRequestID), "err", err)
		return fiber.NewError(fiber.StatusServiceUnavailable, "We couldn't send the email just now. Please try again in a moment.")
	}
	return a.render(c, fiber.StatusOK, "login_sent", fiber.Map{
		"Title": "Check your inbox",
		"Email": email,
		"Next":  next,
	})
}

// useLoginLink signs in with an emailed link, once.
func (a *App) useLoginLink(c *fiber.Ctx) error {
	token := strings.Clone(c.Params("token"))
	res, next, err := models.UseLoginLink(c.UserContext(), a.db, token, a.roles())
	var problem string
	status := fiber.StatusGone
	switch {
	case errors.Is(err, models.ErrLinkUsed):
		problem = "This sign-in link has already been used. Each link works once."
	case errors.Is(err, models.ErrLinkExpired):
		problem = "This sign-in link has expired. Links work for 15 minutes."
	case errors.Is(err, models.ErrNotFound):
		problem, status = "This sign-in link isn't valid. It may have been copied incompletely.", fiber.StatusNotFound
	case err != nil:
		return err
	}
	if problem != "" {
		return a.render(c, status, "login_link", fiber.Map{"Title": "Sign-in link", "Problem": problem, "Next": "/"})
	}
	return a.finishSignIn(c, res, next)
}

// logout ends the session on the server and goes home.
func (a *App) logout(c *fiber.Ctx) error {
	if err := a.signOut(c); err != nil {
		return err
	}
	return c.Redirect("/", fiber.StatusSeeOther)
}

// finishSignIn starts the session and goes where the visitor was headed.
func (a *App) finishSignIn(c *fiber.Ctx, res *models.SignedIn, next string) error {
	if res.FirstAdmin {
		a.log.Warn("the portal had no admin, so this first account is now its admin", "user_id", res.User.ID, "email", res.User.EmailAddress())
	}
	if res.Created {
		a.log.Info("account created", "user_id", res.User.ID)
	}
	if err := a.signIn(c, res.User.ID); err != nil {
		return err
	}
	return c.Redirect(safeNext(next), fiber.StatusSeeOther)
}

func (a *App) roles() models.Roles { return models.Roles{AdminEmails: a.cfg.AdminEmails} }

// mailLoginLink sends the link, or without SMTP_URL writes it to the log so
// that a portal can be tried without a mail server.
func (a *App) mailLoginLink(ctx context.Context, email, link string) error {
	data := map[string]any{"Link": link, "Site": a.cfg.Base.Host, "BaseURL": a.cfg.BaseURL, "Minutes": int(models.LoginLinkLifetime.Minutes())}
	var text, html bytes.Buffer
	if err := a.emails.text.ExecuteTemplate(&text, "login_link.txt", data); err != nil {
		return fmt.Errorf("render email: %w", err)
	}
	if err := a.emails.html.ExecuteTemplate(&html, "login_link.html", data); err != nil {
		return fmt.Errorf("render email: %w", err)
	}
	if a.mailer == nil {
		a.log.Warn("SMTP_URL is not set, so the sign-in link is written here instead of being emailed", "email", email, "link", link)
		return nil
	}
	return a.mailer.Send(ctx, mail.Message{
		To:      email,
		Subject: "Your sign-in link for " + a.cfg.Base.Host,
		Text:    text.String(),
		HTML:    html.String(),
	})
}

// emailTemplates are the views/emails files: .txt bodies with their .html
// alternatives.
type emailTemplates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

func loadEmailTemplates() (*emailTemplates, error) {
	t, err := texttemplate.ParseFS(views.FS, "emails/*.txt")
	if err != nil {
		return nil, fmt.Errorf("load email templates: %w", err)
	}
	h, err := htmltemplate.ParseFS(views.FS, "emails/*.html")
	if err != nil {
		return nil, fmt.Errorf("load email templates: %w", err)
	}
	return &emailTemplates{text: t, html: h}, nil
}

// byEmail keys a limit on the address a sign-in form names.
func byEmail(c *fiber.Ctx) string {
	return strings.ToLower(strings.TrimSpace(c.FormValue("email")))
}

// safeNext returns raw when it is a path on this site, else "/". Anything
// a browser could read as another origin (//host, /\host, a scheme, control
// characters that browsers strip) is refused.
func safeNext(raw string) string {
	if raw == "" || len(raw) > 2000 || raw[0] != '/' {
		return "/"
	}
	if strings.HasPrefix(raw, "//") || strings.ContainsRune(raw, '\\') {
		return "/"
	}
	for _, r := range raw {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return "/"
		}
	}
	if dec, err := url.PathUnescape(raw); err != nil || strings.HasPrefix(dec, "//") || strings.ContainsRune(dec, '\\') {
		return "/"
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return strings.Clone(raw)
}

func randomToken() (string, error) {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(buf), nil
}
