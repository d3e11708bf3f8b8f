package app

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// The admin area is one page: boards, people and statuses. Its forms post
// to /admin/...; a change that works answers 303 back to the part of the
// page it changed, and a refusal shows the page again with 422, the input
// kept and the message next to what to fix.

// boardForm is the create form or one board's edit form, as shown.
type boardForm struct {
	Key         string // "new" or the board's id; keeps element ids unique
	ID          int64  // 0 for a new board
	Action      string
	CSRF        string
	Name        string
	Slug        string
	Description string
	Position    string
	IsPrivate   bool
	Errors      map[string]string
	Open        bool // shown open: it was just refused
}

func (f boardForm) Submit() string {
	if f.ID == 0 {
		return "Create board"
	}
	return "Save changes"
}

func boardFormOf(b *models.Board) boardForm {
	return boardForm{
		Key: strconv.FormatInt(b.ID, 10), ID: b.ID, Action: "/admin/boards/" + strconv.FormatInt(b.ID, 10),
		Name: b.Name, Slug: b.Slug, Description: b.Description,
		Position: strconv.Itoa(b.Position), IsPrivate: b.IsPrivate,
	}
}

func newBoardForm() boardForm { return boardForm{Key: "new", Action: "/admin/boards"} }

// adminBoard is one row of the boards list.
type adminBoard struct {
	models.BoardSummary
	Form boardForm
}

// adminView is what a render of the admin page differs by: a refused form,
// the account looked up, a message for the people section.
type adminView struct {
	create      *boardForm
	edit        *boardForm
	email       string
	people      string
	peopleError bool
	peopleField string        // the field the refusal is about: "email" or ""
	settings    *settingsForm // the settings form as refused
	status      *statusForm   // a status form as refused (new, edit or merge)
}

// adminRoles are the roles an admin may give, as the form offers them.
var adminRoles = []struct{ Value, Label string }{
	{models.RoleMember, "Member"},
	{models.RoleStaff, "Staff"},
	{models.RoleAdmin, "Admin"},
}

// showAdmin shows the admin page; ?email= looks up one account.
func (a *App) showAdmin(c *fiber.Ctx) error {
	return a.renderAdmin(c, fiber.StatusOK, adminView{email: strings.TrimSpace(c.Query("email"))})
}

func (a *App) renderAdmin(c *fiber.Ctx, status int, v adminView) error {
	ctx := c.UserContext()
	boards, err := models.BoardSummaries(ctx, a.db)
	if err != nil {
		return err
	}
	staff, err := models.StaffUsers(ctx, a.db)
	if err != nil {
		return err
	}
	statuses, err := models.Statuses(ctx, a.db)
	if err != nil {
		return err
	}
	csrf := a.csrfToken(c)
	rows := make([]adminBoard, len(boards))
	private := 0
	for i := range boards {
		f := boardFormOf(&boards[i].Board)
		if v.edit != nil && v.edit.ID == boards[i].ID {
			f = *v.edit
		}
		f.CSRF = csrf
		rows[i] = adminBoard{BoardSummary: boards[i], Form: f}
		if boards[i].IsPrivate {
			private++
		}
	}
	create := newBoardForm()
	if v.create != nil {
		create = *v.create
	}
	create.CSRF = csrf

	var found *models.User
	if v.email != "" {
		found, err = models.UserByEmail(ctx, a.db, v.email)
		switch {
		case errors.Is(err, models.ErrNotFound):
			found = nil
			if v.people == "" {
				v.people = "No account has the address " + v.email + "."
			}
		case err != nil:
			return err
		}
	}
	site, err := a.site(ctx)
	if err != nil {
		return err
	}
	settings := settingsFormOf(site)
	if v.settings != nil {
		settings = *v.settings
	}
	statusRows, newStatus := a.statusForms(c, statuses, v.status)
	return a.render(c, status, "admin", fiber.Map{
		"Title":         "Admin",
		"Boards":        rows,
		"PrivateBoards": private,
		"NewBoard":      create,
		"Staff":         staff,
		"Email":         v.email,
		"Found":         found,
		"PeopleMessage": v.people,
		"PeopleError":   v.peopleError,
		"PeopleField":   v.peopleField,
		"Roles":         adminRoles,
		"Statuses":      statuses,
		"StatusRows":    statusRows,
		"NewStatus":     newStatus,
		"Categories":    statusCategories,
		"Settings":      settings,
		"Saved":         c.Query("saved"),
		"Merged":        c.Query("merged"),
	})
}

// boardInput reads a board form.
func boardInput(c *fiber.Ctx) models.BoardInput {
	return models.BoardInput{
		Name:        c.FormValue("name"),
		Slug:        c.FormValue("slug"),
		Description: c.FormValue("description"),
		IsPrivate:   c.FormValue("is_private") != "",
		Position:    c.FormValue("position"),
	}
}

// refusedBoardForm is a form shown again as it was typed, with its errors.
func refusedBoardForm(f boardForm, in models.BoardInput, errs map[string]string) *boardForm {
	f.Name, f.Slug, f.Description, f.Position, f.IsPrivate = in.Name, in.Slug, in.Description, in.Position, in.IsPrivate
	f.Errors, f.Open = errs, true
	return &f
}

// createBoard adds a board.
func (a *App) createBoard(c *fiber.Ctx) error {
	user, in := currentUser(c), boardInput(c)
	b, err := models.CreateBoard(c.UserContext(), a.db, in, user)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return a.renderAdmin(c, fiber.StatusUnprocessableEntity, adminView{create: refusedBoardForm(newBoardForm(), in, ve.Fields)})
	}
	if err != nil {
		return err
	}
	a.log.Info("board created", "board", b.ID, "slug", b.Slug, "private", b.IsPrivate, "user", user.ID)
	return c.Redirect("/admin#board-"+strconv.FormatInt(b.ID, 10), fiber.StatusSeeOther)
}

// updateBoard changes a board: its name, slug, description, privacy and
// place in the order.
func (a *App) updateBoard(c *fiber.Ctx) error {
	raw := c.Params("id")
	id, err := parseID(raw)
	if err != nil {
		return err
	}
	user, in := currentUser(c), boardInput(c)
	b, err := models.UpdateBoard(c.UserContext(), a.db, id, in, user)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		f := boardForm{Key: raw, ID: id, Action: "/admin/boards/" + raw}
		return a.renderAdmin(c, fiber.StatusUnprocessableEntity, adminView{edit: refusedBoardForm(f, in, ve.Fields)})
	}
	if err != nil {
		return err
	}
	a.log.Info("board updated", "board", b.ID, "slug", b.Slug, "private", b.IsPrivate, "user", user.ID)
	return c.Redirect("/admin#board-"+raw, fiber.StatusSeeOther)
}

// setUserRole makes the account holding `email` a member, staff or admin.
// Admins cannot take their own admin role away, so the portal keeps one.
func (a *App) setUserRole(c *fiber.Ctx) error {
	role := c.FormValue("role")
	return a.changeUser(c, "role", func(target *models.User) string {
		if target.ID == currentUser(c).ID && role != models.RoleAdmin {
			return "You can't take away your own admin role. Another admin can, so the portal always keeps one."
		}
		return ""
	}, func(ctx context.Context, email string) (*models.User, error) {
		return models.SetUserRole(ctx, a.db, email, role)
	})
}

// blockUser stops the account holding `email` posting, voting and
// commenting. Admins cannot block themselves.
func (a *App) blockUser(c *fiber.Ctx) error {
	return a.changeUser(c, "block", func(target *models.User) string {
		if target.ID == currentUser(c).ID {
			return "You can't block your own account."
		}
		return ""
	}, func(ctx context.Context, email string) (*models.User, error) {
		return models.BlockUser(ctx, a.db, email)
	})
}

// unblockUser lets the account holding `email` write again.
func (a *App) unblockUser(c *fiber.Ctx) error {
	return a.changeUser(c, "unblock", func(*models.User) string { return "" },
		func(ctx context.Context, email string) (*models.User, error) {
			return models.UnblockUser(ctx, a.db, email)
		})
}

// changeUser finds the account the form names by `email`, asks refuse
// whether the change may not be made to it, then makes it and goes back to
// that account on the admin page.
func (a *App) changeUser(c *fiber.Ctx, action string, refuse func(target *models.User) string,
	change func(ctx context.Context, email string) (*models.User, error)) error {
	ctx := c.UserContext()
	email := strings.TrimSpace(c.FormValue("email"))
	refused := func(field, msg string) error {
		return a.renderAdmin(c, fiber.StatusUnprocessableEntity, adminView{email: email, people: msg, peopleError: true, peopleField: field})
	}
	if email == "" {
		return refused("email", "Enter the email address of an account.")
	}
	target, err := models.UserByEmail(ctx, a.db, email)
	if errors.Is(err, models.ErrNotFound) {
		return refused("email", "No account has the address "+email+".")
	}
	if err != nil {
		return err
	}
	if msg := refuse(target); msg != "" {
		return refused("", msg)
	}
	// The change names the admin in the audit log.
	u, err := change(models.ActingAs(ctx, currentUser(c)), email)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		// An address that is not verified is refused on the address.
		if msg, ok := ve.Fields["email"]; ok {
			return refused("email", msg)
		}
		return refused("", ve.Fields["role"])
	}
	if err != nil {
		return err
	}
	a.log.Info("account changed", "action", action, "account", u.ID, "role", u.Role, "blocked", u.BlockedAt != nil, "user", currentUser(c).ID)
	return c.Redirect("/admin?email="+url.QueryEscape(u.EmailAddress())+"#people", fiber.StatusSeeOther)
}
