package app

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

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

// statusInput reads a status form. A field it leaves out keeps the
// status's value (cur), or for a new status takes the default, so a script
// may rename a status by sending its name alone. The page's form sends
// on_roadmap twice, a hidden "0" and the checkbox's "1", so that an
// unticked box is still a choice.
func statusInput(c *fiber.Ctx, cur *models.Status) models.StatusInput {
	if cur == nil {
		cur = &models.Status{Color: "#64748b", Category: models.CategoryOpen}
	}
	field := func(key, current string) string {
		if formHas(c, key) {
			return c.FormValue(key)
		}
		return current
	}
	in := models.StatusInput{Name: field("name", cur.Name), Color: field("color", cur.Color), Category: field("category", cur.Category),
		Position: field("position", ""), OnRoadmap: cur.OnRoadmap}
	if formHas(c, "on_roadmap") {
		in.OnRoadmap = false
		for _, v := range formValues(c, "on_roadmap") {
			switch strings.ToLower(v) {
			case "1", "on", "true", "yes":
				in.OnRoadmap = true
			}
		}
	}
	return in
}

// formValues is every value the posted form gives the field.
func formValues(c *fiber.Ctx, key string) []string {
	var out []string
	for _, v := range c.Request().PostArgs().PeekMulti(key) {
		out = append(out, string(v))
	}
	if f, err := c.MultipartForm(); err == nil {
		out = append(out, f.Value[key]...)
	}
	return out
}

func refusedStatusForm(f statusForm, in models.StatusInput, errs map[string]string) *statusForm {
	f.Name, f.Color, f.Category, f.Position, f.OnRoadmap = in.Name, in.Color, in.Category, in.Position, in.OnRoadmap
	f.Errors, f.Open = errs, true
	return &f
}

// addStatus adds a status.
func (a *App) addStatus(c *fiber.Ctx) error {
	in := statusInput(c, nil)
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
	slug := c.Params("slug")
	cur, err := models.StatusBySlug(c.UserContext(), a.db, slug)
	if err != nil {
		return err
	}
	in := statusInput(c, cur)
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
