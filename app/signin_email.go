package app

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

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

// byEmail keys a limit on the address a sign-in form names.
func byEmail(c *fiber.Ctx) string {
	return strings.ToLower(strings.TrimSpace(c.FormValue("email")))
}
