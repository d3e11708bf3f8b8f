package app

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// /admin/api: the keys programs use, the webhook endpoints with their
// delivery log, and the forms to make and end them. A new key or secret is
// shown on the answer to the form that made it, and never again.

// apiAdminForm is what the page's two forms hold and say.
type apiAdminForm struct {
	KeyName, KeyScope string
	KeyErrors         map[string]string
	HookURL           string
	HookEvents        map[string]bool
	HookErrors        map[string]string
	NewKey            string // shown once
	NewKeyName        string
	NewSecret         string // shown once
	NewSecretURL      string
}

type hookRow struct {
	models.Webhook
	Deliveries []models.WebhookDelivery
}

func (a *App) showAPIAdmin(c *fiber.Ctx) error {
	return a.renderAPIAdmin(c, fiber.StatusOK, apiAdminForm{KeyScope: models.ScopeWrite})
}

func (a *App) renderAPIAdmin(c *fiber.Ctx, status int, f apiAdminForm) error {
	ctx := c.UserContext()
	keys, err := models.APIKeys(ctx, a.db)
	if err != nil {
		return err
	}
	hooks, err := models.Webhooks(ctx, a.db)
	if err != nil {
		return err
	}
	rows := make([]hookRow, len(hooks))
	for i := range hooks {
		ds, err := models.WebhookDeliveries(ctx, a.db, hooks[i].ID, 10)
		if err != nil {
			return err
		}
		rows[i] = hookRow{Webhook: hooks[i], Deliveries: ds}
	}
	if f.HookEvents == nil {
		f.HookEvents = map[string]bool{}
	}
	return a.render(c, status, "admin_api", fiber.Map{
		"Title": "API and webhooks", "Keys": keys, "Hooks": rows, "Form": f, "Events": models.HookEvents,
		"DocsURL": a.cfg.URL(apiPrefix + "/openapi.json"),
	})
}

func (a *App) createAPIKey(c *fiber.Ctx) error {
	f := apiAdminForm{KeyName: strings.Clone(c.FormValue("name")), KeyScope: strings.Clone(c.FormValue("scope"))}
	key, token, err := models.CreateAPIKey(models.ActingAs(c.UserContext(), currentUser(c)), a.db, f.KeyName, f.KeyScope)
	if ve, ok := asValidation(err); ok {
		f.KeyErrors = ve.Fields
		return a.renderAPIAdmin(c, fiber.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	a.log.Info("api key created", "key", key.ID, "by", currentUser(c).ID)
	return a.renderAPIAdmin(c, fiber.StatusOK, apiAdminForm{KeyScope: models.ScopeWrite, NewKey: token, NewKeyName: key.Name})
}

func (a *App) revokeAPIKey(c *fiber.Ctx) error {
	id, err := parseID(c.Params("id"))
	if err != nil {
		return err
	}
	key, err := models.RevokeAPIKey(models.ActingAs(c.UserContext(), currentUser(c)), a.db, c.Params("id"))
	if err != nil {
		return err
	}
	a.log.Info("api key revoked", "key", id, "name", key.Name, "by", currentUser(c).ID)
	return c.Redirect("/admin/api#keys", fiber.StatusSeeOther)
}

func (a *App) createWebhookForm(c *fiber.Ctx) error {
	f := apiAdminForm{KeyScope: models.ScopeWrite, HookURL: strings.Clone(c.FormValue("url")), HookEvents: map[string]bool{}}
	var events []string
	for _, e := range c.Request().PostArgs().PeekMulti("events") {
		events = append(events, string(e))
		f.HookEvents[string(e)] = true
	}
	w, err := a.createWebhook(c.UserContext(), f.HookURL, events, currentUser(c))
	if ve, ok := asValidation(err); ok {
		f.HookErrors = ve.Fields
		return a.renderAPIAdmin(c, fiber.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	a.log.Info("webhook created", "webhook", w.ID, "by", currentUser(c).ID)
	return a.renderAPIAdmin(c, fiber.StatusOK, apiAdminForm{KeyScope: models.ScopeWrite, NewSecret: w.Secret, NewSecretURL: w.URL})
}

func (a *App) deleteWebhookForm(c *fiber.Ctx) error {
	id, err := parseID(c.Params("id"))
	if err != nil {
		return err
	}
	if err := models.DeleteWebhook(models.ActingAs(c.UserContext(), currentUser(c)), a.db, id); err != nil {
		return err
	}
	return c.Redirect("/admin/api#webhooks", fiber.StatusSeeOther)
}

func (a *App) enableWebhookForm(c *fiber.Ctx) error {
	id, err := parseID(c.Params("id"))
	if err != nil {
		return err
	}
	if err := models.EnableWebhook(models.ActingAs(c.UserContext(), currentUser(c)), a.db, id); err != nil {
		return err
	}
	return c.Redirect("/admin/api#webhooks", fiber.StatusSeeOther)
}

// asValidation reports whether err is a validation failure, and which.
func asValidation(err error) (*models.ValidationError, bool) {
	var ve *models.ValidationError
	ok := errors.As(err, &ve)
	return ve, ok
}
