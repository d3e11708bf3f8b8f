package app

import (
	_ "embed"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// The JSON API under /api/v1. A program signs in with a key (Authorization:
// Bearer KEY) and acts as that key's staff account, through the same models
// functions as the pages, so every rule and event holds for it too. It
// carries no cookies, so no CSRF token either: nothing ambient signs its
// requests in. The document at /api/v1/openapi.json is the contract, and
// the tests check every response against it.

//go:embed openapi.json
var openAPIDocument []byte

const (
	apiPrefix   = "/api/v1"
	localAPIKey = "apikey"
	mimeProblem = "application/problem+json"
)

func (a *App) apiRoutes(r fiber.Router) {
	api := r.Group(apiPrefix, noCookies)
	api.Get("/openapi.json", a.showOpenAPI)
	api.Use(a.authenticateAPI, a.limit("api-key", byAPIKey))
	api.Get("/ideas", a.apiListIdeas)
	api.Post("/ideas", a.apiCreateIdea)
	api.Get("/ideas/:id", a.apiShowIdea)
	api.Post("/ideas/:id/status", a.apiUpdateStatus)
	api.Post("/ideas/:id/comments", a.apiCreateComment)
	api.Get("/ideas/:id/votes", a.apiListVotes)
	api.Put("/ideas/:id/votes/:user_id", a.apiVote)
	api.Delete("/ideas/:id/votes/:user_id", a.apiUnvote)
	api.Put("/users", a.apiUpsertUser)
	api.Get("/boards", a.apiListBoards)
	api.Get("/statuses", a.apiListStatuses)
	api.Get("/webhooks", a.apiListWebhooks)
	api.Post("/webhooks", a.apiCreateWebhook)
	api.Delete("/webhooks/:id", a.apiDeleteWebhook)
	api.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}

func isAPI(c *fiber.Ctx) bool {
	p := c.Path()
	return p == apiPrefix || strings.HasPrefix(p, apiPrefix+"/")
}

func (a *App) showOpenAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return c.Send(openAPIDocument)
}

// authenticateAPI finds the request's key: 401 without a good one, 403 for
// a read key that writes.
func (a *App) authenticateAPI(c *fiber.Ctx) error {
	auth := c.Get(fiber.HeaderAuthorization)
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || strings.TrimSpace(token) == "" {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="cluetrain"`)
		return fiber.NewError(fiber.StatusUnauthorized, "Send an API key as Authorization: Bearer KEY.")
	}
	key, err := models.APIKeyByToken(c.UserContext(), a.db, strings.TrimSpace(token))
	if errors.Is(err, models.ErrNotFound) || err == nil && key.User.BlockedAt != nil {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="cluetrain", error="invalid_token"`)
		return fiber.NewError(fiber.StatusUnauthorized, "This API key is not valid, or was revoked.")
	}
	if err != nil {
		return err
	}
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead && !key.CanWrite() {
		return fiber.NewError(fiber.StatusForbidden, "This API key may only read.")
	}
	c.Locals(localAPIKey, key)
	c.Locals(localUser, key.User)
	return c.Next()
}

// byAPIKey keys a limit on the request's API key.
func byAPIKey(c *fiber.Ctx) string {
	if k, ok := c.Locals(localAPIKey).(*models.APIKey); ok {
		return strconv.FormatInt(k.ID, 10)
	}
	return ""
}

// problem answers an API request with an RFC 9457 problem document; a
// validation error names each offending field under "errors".
func (a *App) problem(c *fiber.Ctx, status int, msg string, err error) error {
	p := fiber.Map{"type": "about:blank", "title": http.StatusText(status), "status": status}
	if msg != "" && msg != http.StatusText(status) && !strings.HasPrefix(msg, "Cannot ") {
		p["detail"] = msg
	} else {
		p["detail"] = friendly(status)
	}
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		p["detail"] = "Some fields are not valid."
		p["errors"] = ve.Fields
	}
	raw, merr := json.Marshal(p)
	if merr != nil {
		return merr
	}
	c.Set(fiber.HeaderContentType, mimeProblem)
	return c.Status(status).Send(raw)
}

// readJSON decodes the request body into v; a body that is not JSON is 400.
func readJSON(c *fiber.Ctx, v any) error {
	if err := json.Unmarshal(c.Body(), v); err != nil {
		return fiber.NewError(fiber.StatusBadRequest, "The body is not a JSON object of the documented fields.")
	}
	return nil
}

// pathID reads a positive id from the path; anything else is 404.
func pathID(c *fiber.Ctx, name string) (int64, error) {
	return parseID(c.Params(name))
}

func apiUser(c *fiber.Ctx) *models.User { return currentUser(c) }

func (a *App) apiListBoards(c *fiber.Ctx) error {
	boards, err := models.Boards(c.UserContext(), a.db, apiUser(c))
	if err != nil {
		return err
	}
	type board struct {
		Slug        string `json:"slug"`
		Name        string `json:"name"`
		Description string `json:"description"`
		Private     bool   `json:"private"`
	}
	out := struct {
		Boards []board `json:"boards"`
	}{Boards: make([]board, len(boards))}
	for i, b := range boards {
		out.Boards[i] = board{Slug: b.Slug, Name: b.Name, Description: b.Description, Private: b.IsPrivate}
	}
	return c.JSON(out)
}

func (a *App) apiListStatuses(c *fiber.Ctx) error {
	statuses, err := models.Statuses(c.UserContext(), a.db)
	if err != nil {
		return err
	}
	type status struct {
		Slug      string `json:"slug"`
		Name      string `json:"name"`
		Color     string `json:"color"`
		Category  string `json:"category"`
		OnRoadmap bool   `json:"on_roadmap"`
	}
	out := struct {
		Statuses []status `json:"statuses"`
	}{Statuses: make([]status, len(statuses))}
	for i, s := range statuses {
		out.Statuses[i] = status{Slug: s.Slug, Name: s.Name, Color: s.Color, Category: s.Category, OnRoadmap: s.OnRoadmap}
	}
	return c.JSON(out)
}

// apiWebhook is an endpoint as the API shows it; the secret only once.
type apiWebhook struct {
	ID             int64      `json:"id"`
	URL            string     `json:"url"`
	Events         []string   `json:"events"`
	Secret         string     `json:"secret,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	Disabled       bool       `json:"disabled"`
	DisabledAt     *time.Time `json:"disabled_at,omitempty"`
	DisabledReason string     `json:"disabled_reason,omitempty"`
}

func hookJSON(w *models.Webhook) apiWebhook {
	return apiWebhook{
		ID: w.ID, URL: w.URL, Events: w.EventList(), CreatedAt: w.CreatedAt,
		Disabled: w.DisabledAt != nil, DisabledAt: w.DisabledAt, DisabledReason: w.DisabledReason,
	}
}

func (a *App) apiListWebhooks(c *fiber.Ctx) error {
	hooks, err := models.Webhooks(c.UserContext(), a.db)
	if err != nil {
		return err
	}
	out := struct {
		Webhooks []apiWebhook `json:"webhooks"`
	}{Webhooks: make([]apiWebhook, len(hooks))}
	for i := range hooks {
		out.Webhooks[i] = hookJSON(&hooks[i])
	}
	return c.JSON(out)
}

func (a *App) apiCreateWebhook(c *fiber.Ctx) error {
	var in struct {
		URL    string   `json:"url"`
		Events []string `json:"events"`
	}
	if err := readJSON(c, &in); err != nil {
		return err
	}
	w, err := a.createWebhook(c.UserContext(), in.URL, in.Events, apiUser(c))
	if err != nil {
		return err
	}
	out := hookJSON(w)
	out.Secret = w.Secret
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (a *App) apiDeleteWebhook(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := models.DeleteWebhook(models.ActingAs(c.UserContext(), apiUser(c)), a.db, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
