package app

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// The statuses editor on the admin page: create, change, merge. A status is
// never deleted; one that is no longer wanted is merged into another, which
// takes its ideas.

// statusForm is the new-status form, one status's edit form, or its merge
// form, as shown.
type statusForm struct {
	Key       string // "new" or the status's slug
	Slug      string // "" for a new status
	Action    string
	Name      string
	Color     string
	Category  string
	Position  string
	OnRoadmap bool
	Into      string // the merge form's choice
	Merge     bool   // this is the merge form that was refused
	Errors    map[string]string
	Open      bool
	CSRF      string
}

// Categories are the choices of the category field.
func (statusForm) Categories() []struct{ Value, Label string } { return statusCategories }

// Submit labels the form's button.
func (f statusForm) Submit() string {
	if f.Slug == "" {
		return "Create status"
	}
	return "Save changes"
}

// statusCategories are the categories as the form offers them.
var statusCategories = []struct{ Value, Label string }{
	{models.CategoryOpen, "Open: waiting for a decision"},
	{models.CategoryActive, "Active: being worked on"},
	{models.CategoryDone, "Done: shipped (shown in the changelog)"},
	{models.CategoryClosed, "Closed: not going ahead"},
}

// statusRow is one status with its forms.
type statusRow struct {
	models.Status
	Form  statusForm
	Merge statusForm
}

func statusFormOf(s *models.Status) statusForm {
	return statusForm{Key: s.Slug, Slug: s.Slug, Action: "/admin/statuses/" + s.Slug, Name: s.Name, Color: s.Color,
		Category: s.Category, Position: strconv.Itoa(s.Position), OnRoadmap: s.OnRoadmap}
}

// statusForms builds the rows of the editor, with the refused form in its
// place.
func (a *App) statusForms(c *fiber.Ctx, statuses []models.Status, refused *statusForm) ([]statusRow, statusForm) {
	rows := make([]statusRow, len(statuses))
	for i := range statuses {
		s := &statuses[i]
		rows[i] = statusRow{Status: *s, Form: statusFormOf(s),
			Merge: statusForm{Key: s.Slug + "-merge", Slug: s.Slug, Action: "/admin/statuses/" + s.Slug + "/merge"}}
		if refused != nil && refused.Slug == s.Slug {
			if refused.Merge {
				rows[i].Merge = *refused
			} else {
				rows[i].Form = *refused
			}
		}
	}
	create := statusForm{Key: "new", Action: "/admin/statuses", Color: "#64748b", Category: models.CategoryOpen}
	if refused != nil && refused.Slug == "" {
		create = *refused
	}
	csrf := a.csrfToken(c)
	for i := range rows {
		rows[i].Form.CSRF, rows[i].Merge.CSRF = csrf, csrf
	}
	create.CSRF = csrf
	return rows, create
}

func statusInput(c *fiber.Ctx) models.StatusInput {
	return models.StatusInput{Name: c.FormValue("name"), Color: c.FormValue("color"), Category: c.FormValue("category"),
		Position: c.FormValue("position"), OnRoadmap: c.FormValue("on_roadmap") != ""}
}

func refusedStatusForm(f statusForm, in models.StatusInput, errs map[string]string) *statusForm {
	f.Name, f.Color, f.Category, f.Position, f.OnRoadmap = in.Name, in.Color, in.Category, in.Position, in.OnRoadmap
	f.Errors, f.Open = errs, true
	return &f
}

// addStatus adds a status.
func (a *App) addStatus(c *fiber.Ctx) error {
	in := statusInput(c)
	s, err := models.CreateStatus(c.UserContext(), a.db, in, currentUser(c))
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		f := statusForm{Key: "new", Action: "/admin/statuses"}
		return a.renderAdmin(c, fiber.StatusUnprocessableEntity, adminView{status: refusedStatusForm(f, in, ve.Fields)})
	}
	if err != nil {
		return err
	}
	a.log.Info("status created", "status", s.Slug, "user", currentUser(c).ID)
	return c.Redirect("/admin#status-"+s.Slug, fiber.StatusSeeOther)
}

// editStatus renames, recolours, re-categorises or moves a status.
func (a *App) editStatus(c *fiber.Ctx) error {
	slug, in := c.Params("slug"), statusInput(c)
	s, err := models.UpdateStatus(c.UserContext(), a.db, slug, in, currentUser(c))
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		f := statusForm{Key: slug, Slug: slug, Action: "/admin/statuses/" + slug}
		return a.renderAdmin(c, fiber.StatusUnprocessableEntity, adminView{status: refusedStatusForm(f, in, ve.Fields)})
	}
	if err != nil {
		return err
	}
	a.log.Info("status updated", "status", s.Slug, "user", currentUser(c).ID)
	return c.Redirect("/admin#status-"+s.Slug, fiber.StatusSeeOther)
}

// mergeStatus moves a status's ideas into another and removes it.
func (a *App) mergeStatus(c *fiber.Ctx) error {
	slug, into := c.Params("slug"), c.FormValue("into")
	n, err := models.MergeStatus(c.UserContext(), a.db, slug, into, currentUser(c))
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		f := statusForm{Key: slug + "-merge", Slug: slug, Action: "/admin/statuses/" + slug + "/merge", Into: into, Merge: true, Errors: ve.Fields, Open: true}
		return a.renderAdmin(c, fiber.StatusUnprocessableEntity, adminView{status: &f})
	}
	if err != nil {
		return err
	}
	a.log.Info("status merged", "status", slug, "into", into, "ideas", n, "user", currentUser(c).ID)
	return c.Redirect("/admin?merged="+url.QueryEscape(fmt.Sprintf("%s into %s, %d %s moved", slug, into, n, plural(n, "idea", "ideas")))+"#status-"+into, fiber.StatusSeeOther)
}
