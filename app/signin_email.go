package app

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// sendLoginLink emails a single-use sign-in link, bound to this browser by
// a secret in a cookie. The reply is the same whether or not the address has
// an account.
func (a *App) sendLoginLink(c *fiber.Ctx) error {
	raw := strings.Clone(c.FormValue("email"))
	next := safeNext(c.FormValue("next"))
	browser, err := a.signinBrowser(c)
	if err != nil {
		return err
	}
	token, err := models.CreateLoginLink(c.UserContext(), a.db, raw, next, browser)
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

// useLoginLink answers an emailed link. Opened with GET in the browser that
// asked for it, it signs in at once. Anywhere else it only asks for a
// confirming POST: otherwise someone could mail a person a link to their
// own account and have that person work in it unawares. A HEAD (mail
// scanners send them) never spends the link.
func (a *App) useLoginLink(c *fiber.Ctx) error {
	token := strings.Clone(c.Params("token"))
	link, err := models.LoginLinkByToken(c.UserContext(), a.db, token)
	if err != nil {
		return a.loginLinkProblem(c, err)
	}
	if c.Method() == fiber.MethodGet && link.OpenedIn(c.Cookies(a.signinCookieName())) {
		return a.spendLoginLink(c, token)
	}
	return a.render(c, fiber.StatusOK, "login_confirm", fiber.Map{
		"Title":  "Confirm signing in",
		"Email":  link.Email,
		"Action": "/login/email/" + token,
		// The page's own address holds the token: keep it out of the
		// header's sign-in link.
		"RequestURI": "/",
	})
}

// confirmLoginLink signs in with an emailed link opened in another browser,
// once its page's button was pressed.
func (a *App) confirmLoginLink(c *fiber.Ctx) error {
	return a.spendLoginLink(c, strings.Clone(c.Params("token")))
}

// spendLoginLink signs in with the link, once.
func (a *App) spendLoginLink(c *fiber.Ctx, token string) error {
	res, next, err := models.UseLoginLink(c.UserContext(), a.db, token, a.roles())
	if err != nil {
		return a.loginLinkProblem(c, err)
	}
	return a.finishSignIn(c, res, next)
}

// loginLinkProblem explains why a link cannot sign in, offering a new one.
func (a *App) loginLinkProblem(c *fiber.Ctx, err error) error {
	var problem string
	status := fiber.StatusGone
	switch {
	case errors.Is(err, models.ErrLinkUsed):
		problem = "This sign-in link has already been used. Each link works once."
	case errors.Is(err, models.ErrLinkExpired):
		problem = "This sign-in link has expired. Links work for 15 minutes, and only the newest link sent to an address works."
	case errors.Is(err, models.ErrNotFound):
		problem, status = "This sign-in link isn't valid. It may have been copied incompletely.", fiber.StatusNotFound
	default:
		return err
	}
	return a.render(c, status, "login_link", fiber.Map{"Title": "Sign-in link", "Problem": problem, "Next": "/", "RequestURI": "/"})
}

// signinCookieName names the cookie that ties sign-in links to the browser
// that asked for them.
func (a *App) signinCookieName() string {
	if a.cfg.Secure() {
		return "__Host-cluetrain_signin"
	}
	return "cluetrain_signin"
}

// signinBrowser returns this browser's sign-in secret, issuing one (or
// keeping the one it has, so that links asked for a moment apart all work
// here) for as long as a link lives.
func (a *App) signinBrowser(c *fiber.Ctx) (string, error) {
	value := c.Cookies(a.signinCookieName())
	if len(value) < 32 {
		var err error
		if value, err = randomToken(); err != nil {
			return "", err
		}
	}
	c.Cookie(&fiber.Cookie{
		Name:     a.signinCookieName(),
		Value:    value,
		Path:     "/",
		HTTPOnly: true,
		Secure:   a.cfg.Secure(),
		SameSite: "Lax", // sent when the link is followed from a mail client
		MaxAge:   int(models.LoginLinkLifetime.Seconds()),
	})
	return strings.Clone(value), nil
}

// byEmail keys a limit on the address a sign-in form names.
func byEmail(c *fiber.Ctx) string {
	return strings.ToLower(strings.TrimSpace(c.FormValue("email")))
}
