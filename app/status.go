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
// staff member came from (or JSON when asked), and refuses with 422 and a
// message a person can act on.

// updateStatus sets an idea's status, with an optional public response.
func (a *App) updateStatus(c *fiber.Ctx) error {
	ctx, user := c.UserContext(), currentUser(c)
	target, err := a.visibleIdea(c)
	if err != nil {
		return err
	}
	idea, err := models.ChangeStatus(ctx, a.db, target.ID, user, c.FormValue("status"), c.FormValue("response"))
	if err != nil {
		return staffRefusal(err)
	}
	if wantsJSON(c) {
		return c.JSON(fiber.Map{
			"id":            idea.ID,
			"status":        idea.Status.Slug,
			"status_name":   idea.Status.Name,
			"takes_votes":   idea.Status.TakesVotes(),
			"response_html": idea.ResponseHTML,
			"url":           a.cfg.URL(idea.Path()),
		})
	}
	return c.Redirect(a.staffReturn(c, idea.Path(), true), fiber.StatusSeeOther)
}

// mergeIdea merges the idea into the original named by `into`: its number,
// or its link.
func (a *App) mergeIdea(c *fiber.Ctx) error {
	ctx, user := c.UserContext(), currentUser(c)
	dup, err := a.visibleIdea(c)
	if err != nil {
		return err
	}
	orig, err := models.MergeIdea(ctx, a.db, dup.ID, models.ParseIdeaRef(c.FormValue("into")), user)
	if err != nil {
		return staffRefusal(err)
	}
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"id": dup.ID, "merged_into": orig.ID, "votes": orig.VotesCount, "url": a.cfg.URL(orig.Path())})
	}
	// The duplicate's page now only points away, so go on to the original
	// unless the form says where to return.
	return c.Redirect(a.staffReturn(c, orig.Path(), false), fiber.StatusSeeOther)
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
	return c.Redirect(a.staffReturn(c, idea.Path(), true), fiber.StatusSeeOther)
}

// staffRefusal turns a validation error into a 422 whose message names
// what to fix; other errors pass through to the error handler.
func staffRefusal(err error) error {
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	keys := make([]string, 0, len(ve.Fields))
	for k := range ve.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	msgs := make([]string, len(keys))
	for i, k := range keys {
		msgs[i] = ve.Fields[k]
	}
	return fiber.NewError(fiber.StatusUnprocessableEntity, strings.Join(msgs, " "))
}

// staffReturn is where a staff action goes back to: the form's `next`, else
// (when allowed) the referring page of this site, else fallback. Only paths
// on this site are followed.
func (a *App) staffReturn(c *fiber.Ctx, fallback string, useReferer bool) string {
	if next := c.FormValue("next"); next != "" && safeNext(next) == next {
		return next
	}
	if useReferer {
		if ref := a.refererPath(c); ref != "" {
			return ref
		}
	}
	return fallback
}
