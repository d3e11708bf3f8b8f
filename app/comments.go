package app

import (
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// createComment adds a comment and shows it in place; a comment that fails
// validation is shown again with its message (422).
func (a *App) createComment(c *fiber.Ctx) error {
	idea, err := a.visibleIdea(c)
	if err != nil {
		return err
	}
	body := c.FormValue("body")
	if caughtByHoneypot(c) {
		// Answered as a comment would be, pointing at the idea; nothing is
		// stored.
		a.log.Info("honeypot", "form", "comment", "idea", idea.ID)
		if wantsJSON(c) {
			return c.Status(fiber.StatusCreated).JSON(fiber.Map{"url": ideaPath(idea.ID, idea.Slug)})
		}
		return c.Redirect(ideaPath(idea.ID, idea.Slug), fiber.StatusSeeOther)
	}
	cm, err := models.CreateComment(c.UserContext(), a.db, models.NewComment{IdeaID: idea.ID, Author: currentUser(c), Body: body})
	var ve *models.ValidationError
	if errors.As(err, &ve) && !wantsJSON(c) {
		return a.renderIdea(c, fiber.StatusUnprocessableEntity, idea, fiber.Map{"CommentBody": body, "CommentError": ve.Fields["body"]})
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": cm.ID, "body_html": cm.BodyHTML, "url": commentPath(idea.ID, idea.Slug, cm.ID)})
	}
	return c.Redirect(commentPath(idea.ID, idea.Slug, cm.ID), fiber.StatusSeeOther)
}

// updateComment saves the author's edit of a comment within the edit window.
func (a *App) updateComment(c *fiber.Ctx) error {
	idea, err := a.visibleIdea(c)
	if err != nil {
		return err
	}
	cid, err := commentID(c)
	if err != nil {
		return err
	}
	body := c.FormValue("body")
	_, err = models.EditComment(c.UserContext(), a.db, idea.ID, cid, currentUser(c), body)
	var ve *models.ValidationError
	if errors.As(err, &ve) && !wantsJSON(c) {
		return a.renderIdea(c, fiber.StatusUnprocessableEntity, idea, fiber.Map{
			"EditID": cid, "EditBody": body, "EditError": ve.Fields["body"],
		})
	}
	if err != nil {
		return err
	}
	return c.Redirect(commentPath(idea.ID, idea.Slug, cid), fiber.StatusSeeOther)
}

// hideComment hides a comment from everyone but staff.
func (a *App) hideComment(c *fiber.Ctx) error {
	idea, err := a.visibleIdea(c)
	if err != nil {
		return err
	}
	cid, err := commentID(c)
	if err != nil {
		return err
	}
	if err := models.HideComment(c.UserContext(), a.db, idea.ID, cid, currentUser(c)); err != nil {
		return err
	}
	a.log.Info("comment hidden", "idea", idea.ID, "comment", cid, "by", currentUser(c).ID)
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"hidden": true})
	}
	return c.Redirect(fmt.Sprintf("%s#comments", ideaPath(idea.ID, idea.Slug)), fiber.StatusSeeOther)
}
