package app

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// The API's ideas: listed, shown, posted, answered and commented on.

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
