package app

import (
	"errors"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// Staff actions on one idea: a status change with a public response, a
// merge into the original, hiding spam. Each answers 303 back to where the
// staff member came from (or JSON when asked). A form that fails validation
// is shown again with 422 on the idea page, whose staff panel keeps what was
// typed and says what to fix beside the field.

// updateStatus sets an idea's status, with an optional public response.
func (a *App) updateStatus(c *fiber.Ctx) error {
	ctx, user := c.UserContext(), currentUser(c)
	target, err := a.visibleIdea(c)
	if err != nil {
		return err
	}
	idea, err := models.ChangeStatus(ctx, a.db, target.ID, user, c.FormValue("status"), c.FormValue("response"))
	if err != nil {
		return a.refuseStaffForm(c, target, staffStatusForm, err)
	}
	if wantsJSON(c) {
		return c.JSON(fiber.Map{
			"id":            idea.ID,
			"status":        idea.Status.Slug,
			"status_name":   idea.Status.Name,
			"takes_votes":   idea.Status.TakesVotes(),
			"response_html": idea.ResponseHTML,
			"url":           a.cfg.URL(ideaPath(idea.ID, idea.Slug)),
		})
	}
	return a.goBack(c, ideaPath(idea.ID, idea.Slug))
}

// mergeIdea merges the idea into the original named by `into`: its number,
// or its link.
func (a *App) mergeIdea(c *fiber.Ctx) error {
	ctx, user := c.UserContext(), currentUser(c)
	dup, err := a.visibleIdea(c)
	if err != nil {
		return err
	}
	orig, err := models.MergeIdea(ctx, a.db, dup.ID, parseIdeaRef(c.FormValue("into")), user)
	if err != nil {
		return a.refuseStaffForm(c, dup, staffMergeForm, err)
	}
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"id": dup.ID, "merged_into": orig.ID, "votes": orig.VotesCount, "url": a.cfg.URL(ideaPath(orig.ID, orig.Slug))})
	}
	// The duplicate's page (the referring one) now only points away, so go
	// on to the original unless the form says where to return.
	back := formNext(c)
	if back == "" {
		back = ideaPath(orig.ID, orig.Slug)
	}
	return c.Redirect(back, fiber.StatusSeeOther)
}

// hideIdea hides a spam idea from everyone but staff.
func (a *App) hideIdea(c *fiber.Ctx) error { return a.setHidden(c, true) }

// unhideIdea shows a hidden idea again.
func (a *App) unhideIdea(c *fiber.Ctx) error { return a.setHidden(c, false) }

func (a *App) setHidden(c *fiber.Ctx, hide bool) error {
	idea, err := a.visibleIdea(c)
	if err != nil {
		return err
	}
	if err := models.HideIdea(c.UserContext(), a.db, idea.ID, currentUser(c), hide); err != nil {
		return staffRefusal(err)
	}
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"id": idea.ID, "hidden": hide})
	}
	return a.goBack(c, ideaPath(idea.ID, idea.Slug))
}

// The staff panel's forms that take typed input.
const (
	staffStatusForm = "status"
	staffMergeForm  = "merge"
)

// staffFields are the fields each form of the staff panel shows, by the
// names models.ValidationError uses.
var staffFields = map[string][]string{
	staffStatusForm: {"status", "response"},
	staffMergeForm:  {"into"},
}

// staffForm is a staff panel form that failed validation: what was typed,
// and what to fix, for the idea page to show again.
type staffForm struct {
	Status   string            // the status chosen, when it is one the menu offers
	Response string            // the response as typed
	Into     string            // the original as typed
	Next     string            // where the form would have returned, when it said
	Errors   map[string]string // messages by field, for fields the panel shows
	Message  string            // messages for anything else, shown atop the panel
	Focus    string            // what takes the focus: "message" or a field name
}

// refuseStaffForm answers a staff panel form that failed validation with
// the idea page again, 422, the panel keeping the input and placing each
// message by its field. Scripts get staffRefusal's answer, and errors other
// than validation pass through to the error handler.
func (a *App) refuseStaffForm(c *fiber.Ctx, idea *models.Idea, action string, err error) error {
	var ve *models.ValidationError
	if !errors.As(err, &ve) || wantsJSON(c) || c.Get(csrfHeader) != "" {
		return staffRefusal(err)
	}
	form := &staffForm{
		Response: c.FormValue("response"),
		Into:     c.FormValue("into"),
		Errors:   map[string]string{},
	}
	form.Next = formNext(c)
	// A merged idea's panel shows neither form, so every message goes on top.
	shown := map[string]bool{}
	if idea.MergedIntoID == nil {
		for _, f := range staffFields[action] {
			shown[f] = true
		}
	}
	var rest []string
	for _, k := range sortedFields(ve) {
		if shown[k] {
			form.Errors[k] = ve.Fields[k]
		} else {
			rest = append(rest, ve.Fields[k])
		}
	}
	form.Message = strings.Join(rest, " ")
	if form.Message != "" {
		form.Focus = "message"
	} else {
		for _, f := range staffFields[action] {
			if _, ok := form.Errors[f]; ok {
				form.Focus = f
				break
			}
		}
	}
	// A status the models accepted is one the menu offers; an unknown or
	// refused one leaves the menu at the idea's current status.
	if _, bad := ve.Fields["status"]; !bad && action == staffStatusForm {
		form.Status = strings.TrimSpace(c.FormValue("status"))
	}
	return a.renderIdea(c, fiber.StatusUnprocessableEntity, idea, fiber.Map{"StaffForm": form})
}

// staffRefusal turns a validation error into a 422 whose message names
// what to fix; other errors pass through to the error handler.
func staffRefusal(err error) error {
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	keys := sortedFields(ve)
	msgs := make([]string, len(keys))
	for i, k := range keys {
		msgs[i] = ve.Fields[k]
	}
	return fiber.NewError(fiber.StatusUnprocessableEntity, strings.Join(msgs, " "))
}

// sortedFields names the fields of a validation error in a stable order.
func sortedFields(ve *models.ValidationError) []string {
	keys := make([]string, 0, len(ve.Fields))
	for k := range ve.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
