package app

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// Moderation: the approval queue and the reports beside it (staff), the
// report forms (members), the honeypot on the writing forms, and the audit
// log (admins).

// honeypotField is the field of the idea and comment forms that people
// never see (it is off-screen and out of the tab order); only robots fill
// it in. A filled one is answered as if the post worked, and nothing is
// stored.
const honeypotField = "website"

// caughtByHoneypot reports whether the form's honeypot was filled in.
func caughtByHoneypot(c *fiber.Ctx) bool {
	return strings.TrimSpace(c.FormValue(honeypotField)) != ""
}

// queueLimit bounds each list of the queue page; staff work from the top.
const queueLimit = 100

// showQueue lists the ideas waiting for approval and what has been
// reported.
func (a *App) showQueue(c *fiber.Ctx) error {
	ctx := c.UserContext()
	pending, err := models.PendingIdeas(ctx, a.db, queueLimit)
	if err != nil {
		return err
	}
	reports, err := models.OpenReports(ctx, a.db, queueLimit)
	if err != nil {
		return err
	}
	comments, commentIdeas, err := models.PendingComments(ctx, a.db, queueLimit)
	if err != nil {
		return err
	}
	return a.render(c, fiber.StatusOK, "admin_queue", fiber.Map{
		"Title":        "Moderation queue",
		"Pending":      pending,
		"Reports":      reports,
		"Comments":     comments,
		"CommentIdeas": commentIdeas,
	})
}

// approveIdea publishes an idea that waited for approval.
func (a *App) approveIdea(c *fiber.Ctx) error { return a.moderate(c, true) }

// declineIdea keeps an idea that waited for approval hidden for good.
func (a *App) declineIdea(c *fiber.Ctx) error { return a.moderate(c, false) }

func (a *App) moderate(c *fiber.Ctx, approve bool) error {
	ctx, user := c.UserContext(), currentUser(c)
	target, err := a.visibleIdea(c)
	if err != nil {
		return err
	}
	decide := models.DeclineIdea
	if approve {
		decide = models.ApproveIdea
	}
	idea, err := decide(ctx, a.db, target.ID, user)
	if err != nil {
		return staffRefusal(err)
	}
	a.log.Info("idea moderated", "id", idea.ID, "approved", approve, "user", user.ID)
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"id": idea.ID, "approved": approve, "moderation": idea.Moderation})
	}
	return a.goBack(c, "/admin/queue")
}

// approveComment shows and counts a comment that waited for approval.
func (a *App) approveComment(c *fiber.Ctx) error { return a.moderateComment(c, true) }

// declineComment keeps a comment that waited for approval hidden for good.
func (a *App) declineComment(c *fiber.Ctx) error { return a.moderateComment(c, false) }

func (a *App) moderateComment(c *fiber.Ctx, approve bool) error {
	ctx, user := c.UserContext(), currentUser(c)
	idea, err := a.visibleIdea(c)
	if err != nil {
		return err
	}
	cid, err := parseID(c.Params("cid"))
	if err != nil {
		return err
	}
	decide := models.DeclineComment
	if approve {
		decide = models.ApproveComment
	}
	if err := decide(ctx, a.db, idea.ID, cid, user); err != nil {
		return staffRefusal(err)
	}
	a.log.Info("comment moderated", "idea", idea.ID, "comment", cid, "approved", approve, "user", user.ID)
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"id": cid, "approved": approve})
	}
	return a.goBack(c, "/admin/queue#comments")
}

// reportIdea records the signed-in person's report of an idea.
func (a *App) reportIdea(c *fiber.Ctx) error { return a.report(c, false) }

// reportComment records the signed-in person's report of a comment.
func (a *App) reportComment(c *fiber.Ctx) error { return a.report(c, true) }

func (a *App) report(c *fiber.Ctx, comment bool) error {
	ctx, user := c.UserContext(), currentUser(c)
	idea, err := a.visibleIdea(c)
	if err != nil {
		return err
	}
	var cid int64
	if comment {
		if cid, err = parseID(c.Params("cid")); err != nil {
			return err
		}
	}
	added, err := models.ReportThing(ctx, a.db, idea.ID, cid, user, c.FormValue("reason"))
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		if wantsJSON(c) {
			return c.Status(fiber.StatusUnprocessableEntity).JSON(fiber.Map{"error": "Please correct the form.", "fields": ve.Fields, "status": fiber.StatusUnprocessableEntity})
		}
		return a.renderIdea(c, fiber.StatusUnprocessableEntity, idea, fiber.Map{
			"ReportFor": cid, "ReportReason": c.FormValue("reason"), "ReportError": ve.Fields["reason"],
		})
	}
	if err != nil {
		return err
	}
	if added {
		a.log.Info("reported", "idea", idea.ID, "comment", cid, "user", user.ID)
	}
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"reported": true})
	}
	anchor := ""
	if cid != 0 {
		anchor = "#comment-" + strconv.FormatInt(cid, 10)
	}
	return c.Redirect(ideaPath(idea.ID, idea.Slug)+"?reported=1"+anchor, fiber.StatusSeeOther)
}

// resolveReports closes the open reports of an idea or a comment: `action`
// hide hides it (as hiding it by hand would), dismiss sets them aside.
func (a *App) resolveReports(c *fiber.Ctx) error {
	ctx, user := c.UserContext(), currentUser(c)
	ideaID, err := parseID(c.FormValue("idea"))
	if err != nil {
		return err
	}
	var cid int64
	if raw := c.FormValue("comment"); raw != "" && raw != "0" {
		if cid, err = parseID(raw); err != nil {
			return err
		}
	}
	var hide bool
	switch c.FormValue("action") {
	case "hide":
		hide = true
	case "dismiss":
	default:
		return fiber.NewError(fiber.StatusUnprocessableEntity, "Choose hide or dismiss.")
	}
	n, err := models.ResolveReports(ctx, a.db, ideaID, cid, user, hide)
	if err != nil {
		return staffRefusal(err)
	}
	a.log.Info("reports resolved", "idea", ideaID, "comment", cid, "reports", n, "hidden", hide, "user", user.ID)
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"resolved": n, "hidden": hide})
	}
	return a.goBack(c, "/admin/queue#reports")
}

// auditKindLabels name the audit log's kinds for its filter.
var auditKindLabels = map[string]string{
	models.EventStatusChanged:   "Status changed",
	models.EventMerged:          "Idea merged",
	models.EventRoadmapMoved:    "Roadmap moved",
	models.EventIdeaHidden:      "Idea hidden",
	models.EventIdeaShown:       "Idea shown",
	models.EventCommentHidden:   "Comment hidden",
	models.EventIdeaApproved:    "Idea approved",
	models.EventIdeaDeclined:    "Idea declined",
	models.EventReportResolved:  "Report acted on",
	models.EventReportDismissed: "Report dismissed",
	models.EventRoleChanged:     "Role changed",
	models.EventUserBlocked:     "Account blocked",
	models.EventUserUnblocked:   "Account unblocked",
	models.EventBoardCreated:    "Board created",
	models.EventBoardUpdated:    "Board changed",
	models.EventSettingsChanged: "Settings changed",
	models.EventStatusCreated:   "Status created",
	models.EventStatusUpdated:   "Status changed",
	models.EventStatusMerged:    "Status merged",
	models.EventCommentApproved: "Comment approved",
	models.EventCommentDeclined: "Comment declined",
	models.EventAPIKeyCreated:   "API key created",
	models.EventAPIKeyRevoked:   "API key revoked",
	models.EventWebhookCreated:  "Webhook created",
	models.EventWebhookDeleted:  "Webhook deleted",
	models.EventWebhookEnabled:  "Webhook enabled",
}

// showAudit lists staff and admin actions, newest first, filtered by
// person (?actor=ID) and kind (?kind=), a page at a time (?before=ID).
func (a *App) showAudit(c *fiber.Ctx) error {
	ctx := c.UserContext()
	q := models.AuditQuery{Kind: c.Query("kind"), Limit: 50}
	if q.Kind != "" {
		if _, ok := auditKindLabels[q.Kind]; !ok {
			return fiber.ErrNotFound
		}
	}
	for _, p := range []struct {
		name string
		to   *int64
	}{{"actor", &q.ActorID}, {"before", &q.Before}} {
		if raw := c.Query(p.name); raw != "" {
			id, err := parseID(raw)
			if err != nil {
				return err
			}
			*p.to = id
		}
	}
	entries, next, err := models.AuditLog(ctx, a.db, q)
	if err != nil {
		return err
	}
	staff, err := models.StaffUsers(ctx, a.db)
	if err != nil {
		return err
	}
	kinds := make([]struct{ Value, Label string }, len(models.AuditKinds))
	for i, k := range models.AuditKinds {
		kinds[i].Value, kinds[i].Label = k, auditKindLabels[k]
	}
	nextURL := ""
	if next != 0 {
		v := c.Context().QueryArgs()
		nextURL = "/admin/audit?"
		if q.ActorID != 0 {
			nextURL += "actor=" + strconv.FormatInt(q.ActorID, 10) + "&"
		}
		if q.Kind != "" {
			nextURL += "kind=" + string(v.Peek("kind")) + "&"
		}
		nextURL += "before=" + strconv.FormatInt(next, 10)
	}
	return a.render(c, fiber.StatusOK, "admin_audit", fiber.Map{
		"Title":   "Audit log",
		"Entries": entries,
		"Labels":  auditKindLabels,
		"Kinds":   kinds,
		"Staff":   staff,
		"Actor":   q.ActorID,
		"Kind":    q.Kind,
		"Next":    nextURL,
	})
}
