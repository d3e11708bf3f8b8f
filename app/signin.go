package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// Signing in and out: the sign-in page, and what every way of signing in
// (a provider, an emailed link) does once it knows who the person is.

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
