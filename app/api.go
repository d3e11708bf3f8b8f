package app

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
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

// apiIdea is an idea as the API shows it.
type apiIdea struct {
	ID          int64      `json:"id"`
	Title       string     `json:"title"`
	Body        string     `json:"body"`
	URL         string     `json:"url"`
	Board       string     `json:"board"`
	Status      string     `json:"status"`
	Votes       int        `json:"votes"`
	Comments    int        `json:"comments"`
	AuthorID    int64      `json:"author_id"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	Response    *string    `json:"response,omitempty"`
	RespondedAt *time.Time `json:"responded_at,omitempty"`
	MergedInto  *int64     `json:"merged_into,omitempty"`
	Hidden      bool       `json:"hidden"`
}

func (a *App) ideaJSON(i *models.Idea, body, response string) apiIdea {
	out := apiIdea{
		ID: i.ID, Title: i.Title, Body: body, URL: a.cfg.URL(ideaPath(i.ID, i.Slug)),
		Votes: i.VotesCount, Comments: i.CommentsCount, AuthorID: i.AuthorID,
		CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt, MergedInto: i.MergedIntoID, Hidden: i.HiddenAt != nil,
	}
	if i.Board != nil {
		out.Board = i.Board.Slug
	}
	if i.Status != nil {
		out.Status = i.Status.Slug
	}
	if response != "" {
		out.Response, out.RespondedAt = &response, i.RespondedAt
	}
	return out
}

func (a *App) apiListIdeas(c *fiber.Ctx) error {
	ctx, viewer := c.UserContext(), apiUser(c)
	q := models.IdeaQuery{Viewer: viewer, Search: c.Query("q"), After: c.Query("cursor"), Sort: c.Query("sort")}
	ve := &models.ValidationError{}
	if q.Sort != "" && !models.ValidSort(q.Sort) && !(q.Sort == models.SortRelevance && q.Search != "") {
		ve.Add("sort", "Use one of trending, top, new, active or discussed.")
	}
	q.Limit = 20
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			ve.Add("limit", "Give a number from 1 to 100.")
		}
		q.Limit = n
	}
	if slug := c.Query("board"); slug != "" {
		b, err := models.BoardBySlug(ctx, a.db, slug, viewer)
		switch {
		case errors.Is(err, models.ErrNotFound):
			ve.Add("board", "No board has this slug.")
		case err != nil:
			return err
		default:
			q.BoardID = b.ID
		}
	}
	if slug := c.Query("status"); slug != "" {
		s, err := models.StatusBySlug(ctx, a.db, slug)
		switch {
		case errors.Is(err, models.ErrNotFound):
			ve.Add("status", "No status has this slug.")
		case err != nil:
			return err
		default:
			q.StatusID = s.ID
		}
	}
	if err := ve.Err(); err != nil {
		return err
	}
	page, err := models.ListIdeas(ctx, a.db, q)
	var pve *models.ValidationError
	if errors.As(err, &pve) {
		return &models.ValidationError{Fields: map[string]string{"cursor": "This is not a cursor this list gave."}}
	}
	if err != nil {
		return err
	}
	ids := make([]int64, len(page.Ideas))
	for i := range page.Ideas {
		ids[i] = page.Ideas[i].ID
	}
	texts, err := models.IdeaTexts(ctx, a.db, ids)
	if err != nil {
		return err
	}
	out := struct {
		Ideas      []apiIdea `json:"ideas"`
		NextCursor *string   `json:"next_cursor"`
	}{Ideas: make([]apiIdea, len(page.Ideas))}
	for i := range page.Ideas {
		t := texts[page.Ideas[i].ID]
		out.Ideas[i] = a.ideaJSON(&page.Ideas[i], t.Body, t.Response)
	}
	if page.Next != "" {
		out.NextCursor = &page.Next
	}
	return c.JSON(out)
}

func (a *App) apiShowIdea(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	idea, err := models.IdeaByID(c.UserContext(), a.db, id, apiUser(c))
	if err != nil {
		return err
	}
	return c.JSON(a.ideaJSON(idea, idea.Body, idea.Response))
}

// author is the person an API write is on behalf of: the one named by id,
// or the key's own account.
func (a *App) author(c *fiber.Ctx, id *int64, field string) (*models.User, error) {
	if id == nil {
		return apiUser(c), nil
	}
	u, err := models.UserByID(c.UserContext(), a.db, *id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, &models.ValidationError{Fields: map[string]string{field: "No person has this id."}}
	}
	if err == nil && !u.CanWrite() {
		return nil, &models.ValidationError{Fields: map[string]string{field: "This person is blocked."}}
	}
	return u, err
}

func (a *App) apiCreateIdea(c *fiber.Ctx) error {
	var in struct {
		Title    string `json:"title"`
		Body     string `json:"body"`
		Board    string `json:"board"`
		AuthorID *int64 `json:"author_id"`
	}
	if err := readJSON(c, &in); err != nil {
		return err
	}
	author, err := a.author(c, in.AuthorID, "author_id")
	if err != nil {
		return err
	}
	idea, err := models.CreateIdea(c.UserContext(), a.db, models.NewIdea{Author: author, Board: in.Board, Title: in.Title, Body: in.Body})
	if err != nil {
		return err
	}
	a.queue.nudge()
	c.Location(a.cfg.URL(fmt.Sprintf("%s/ideas/%d", apiPrefix, idea.ID)))
	return c.Status(fiber.StatusCreated).JSON(a.ideaJSON(idea, idea.Body, idea.Response))
}

func (a *App) apiUpdateStatus(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in struct {
		Status   string `json:"status"`
		Response string `json:"response"`
	}
	if err := readJSON(c, &in); err != nil {
		return err
	}
	ctx, actor := c.UserContext(), apiUser(c)
	if _, err := models.IdeaByID(ctx, a.db, id, actor); err != nil {
		return err
	}
	idea, err := models.ChangeStatus(ctx, a.db, id, actor, in.Status, in.Response)
	if err != nil {
		return err
	}
	a.queue.nudge()
	return c.JSON(a.ideaJSON(idea, idea.Body, idea.Response))
}

// apiComment is a comment as the API shows it.
type apiComment struct {
	ID        int64     `json:"id"`
	IdeaID    int64     `json:"idea_id"`
	AuthorID  int64     `json:"author_id"`
	Body      string    `json:"body"`
	IsStaff   bool      `json:"is_staff"`
	CreatedAt time.Time `json:"created_at"`
}

func (a *App) apiCreateComment(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in struct {
		Body     string `json:"body"`
		AuthorID *int64 `json:"author_id"`
	}
	if err := readJSON(c, &in); err != nil {
		return err
	}
	ctx := c.UserContext()
	idea, err := models.IdeaByID(ctx, a.db, id, apiUser(c))
	if err != nil {
		return err
	}
	author, err := a.author(c, in.AuthorID, "author_id")
	if err != nil {
		return err
	}
	if !idea.VisibleTo(author) {
		return &models.ValidationError{Fields: map[string]string{"author_id": "This person can't see the idea."}}
	}
	cm, err := models.CreateComment(ctx, a.db, models.NewComment{IdeaID: id, Author: author, Body: in.Body})
	if err != nil {
		return err
	}
	a.queue.nudge()
	return c.Status(fiber.StatusCreated).JSON(apiComment{
		ID: cm.ID, IdeaID: cm.IdeaID, AuthorID: cm.AuthorID, Body: cm.Body, IsStaff: cm.IsStaff, CreatedAt: cm.CreatedAt,
	})
}

// apiVoter is a vote with its voter.
type apiVoter struct {
	UserID     int64     `json:"user_id"`
	Name       string    `json:"name"`
	Email      *string   `json:"email"`
	ExternalID *string   `json:"external_id"`
	Company    string    `json:"company"`
	Plan       string    `json:"plan"`
	MRR        float64   `json:"mrr"`
	Importance string    `json:"importance"`
	VotedAt    time.Time `json:"voted_at"`
}

func (a *App) apiListVotes(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if _, err := models.IdeaByID(ctx, a.db, id, apiUser(c)); err != nil {
		return err
	}
	ve := &models.ValidationError{}
	var after int64
	if cur := c.Query("cursor"); cur != "" {
		n, err := strconv.ParseInt(cur, 10, 64)
		if err != nil || n < 0 {
			ve.Add("cursor", "This is not a cursor this list gave.")
		}
		after = n
	}
	limit := 100
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			ve.Add("limit", "Give a number from 1 to 500.")
		}
		limit = n
	}
	if err := ve.Err(); err != nil {
		return err
	}
	vs, next, err := models.IdeaVoters(ctx, a.db, id, after, limit)
	if err != nil {
		return err
	}
	out := struct {
		Votes      []apiVoter `json:"votes"`
		NextCursor *string    `json:"next_cursor"`
	}{Votes: make([]apiVoter, len(vs))}
	for i, v := range vs {
		out.Votes[i] = apiVoter{
			UserID: v.UserID, Name: v.Name, Email: v.Email, ExternalID: v.ExternalID, Company: v.Company, Plan: v.Plan,
			MRR: float64(v.MRRCents) / 100, Importance: v.Importance, VotedAt: v.VotedAt,
		}
	}
	if next != 0 {
		s := strconv.FormatInt(next, 10)
		out.NextCursor = &s
	}
	return c.JSON(out)
}

// voteTarget reads the idea and the voter of a vote on someone's behalf.
func (a *App) voteTarget(c *fiber.Ctx) (ideaID, userID int64, err error) {
	if ideaID, err = pathID(c, "id"); err != nil {
		return 0, 0, err
	}
	if userID, err = pathID(c, "user_id"); err != nil {
		return 0, 0, err
	}
	ctx := c.UserContext()
	idea, err := models.IdeaByID(ctx, a.db, ideaID, apiUser(c))
	if err != nil {
		return 0, 0, err
	}
	voter, err := models.UserByID(ctx, a.db, userID)
	if err != nil {
		return 0, 0, err
	}
	if !voter.CanWrite() {
		return 0, 0, fiber.NewError(fiber.StatusForbidden, "This person is blocked.")
	}
	if !idea.VisibleTo(voter) {
		return 0, 0, fiber.NewError(fiber.StatusForbidden, "This person can't see the idea.")
	}
	return ideaID, userID, nil
}

func (a *App) apiVote(c *fiber.Ctx) error {
	ideaID, userID, err := a.voteTarget(c)
	if err != nil {
		return err
	}
	res, err := models.VoteFor(c.UserContext(), a.db, ideaID, userID)
	if err != nil {
		return err
	}
	a.queue.nudge()
	return c.JSON(res)
}

func (a *App) apiUnvote(c *fiber.Ctx) error {
	ideaID, userID, err := a.voteTarget(c)
	if err != nil {
		return err
	}
	res, err := models.Unvote(c.UserContext(), a.db, ideaID, userID)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// apiPerson is a person as the API shows them.
type apiPerson struct {
	ID         int64     `json:"id"`
	Email      string    `json:"email"`
	Name       string    `json:"name"`
	ExternalID *string   `json:"external_id"`
	Company    string    `json:"company"`
	Plan       string    `json:"plan"`
	MRR        float64   `json:"mrr"`
	CreatedAt  time.Time `json:"created_at"`
}

func (a *App) apiUpsertUser(c *fiber.Ctx) error {
	var in struct {
		Email      string   `json:"email"`
		Name       *string  `json:"name"`
		ExternalID *string  `json:"external_id"`
		Company    *string  `json:"company"`
		Plan       *string  `json:"plan"`
		MRR        *float64 `json:"mrr"`
	}
	if err := readJSON(c, &in); err != nil {
		return err
	}
	up := models.UserUpsert{Email: in.Email, Name: in.Name, ExternalID: in.ExternalID, Company: in.Company, Plan: in.Plan}
	if in.MRR != nil {
		if *in.MRR < 0 || *in.MRR > 1e11 || math.IsNaN(*in.MRR) {
			return &models.ValidationError{Fields: map[string]string{"mrr": "Give a monthly revenue of zero or more."}}
		}
		cents := int64(math.Round(*in.MRR * 100))
		up.MRRCents = &cents
	}
	u, created, err := models.UpsertUser(c.UserContext(), a.db, up)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(apiPerson{
		ID: u.ID, Email: u.EmailAddress(), Name: u.Name, ExternalID: u.ExternalID, Company: u.Company, Plan: u.Plan,
		MRR: float64(u.MRRCents) / 100, CreatedAt: u.CreatedAt,
	})
}

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
	if err := models.DeleteWebhook(c.UserContext(), a.db, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
