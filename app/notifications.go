package app

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// A signed-in person's notifications and mail settings.

// notificationRow is one notification as the list says it.
type notificationRow struct {
	models.NotificationItem
	Text string // what happened, after the actor's name
	Path string
}

func describeNotification(it models.NotificationItem) notificationRow {
	r := notificationRow{NotificationItem: it, Path: ideaPath(it.IdeaID, it.IdeaSlug)}
	switch it.Kind {
	case models.EventStatusChanged:
		var sc models.StatusChange
		_ = (&models.Event{Payload: it.Payload}).Decode(&sc)
		r.Text = "set the status to " + sc.ToName + " on"
		if sc.From == sc.To {
			r.Text = "responded to"
		}
	case models.EventCommented:
		r.Text = "commented on"
	case models.EventMerged:
		r.Text = "merged an idea you follow into"
	case models.EventIdeaApproved:
		r.Text = "approved"
	default:
		r.Text = "updated"
	}
	return r
}

// showNotifications lists the person's notifications, newest first.
func (a *App) showNotifications(c *fiber.Ctx) error {
	user := currentUser(c)
	var after int64
	if raw := c.Query("after"); raw != "" {
		var err error
		if after, err = parseID(raw); err != nil {
			return fiber.NewError(fiber.StatusBadRequest, "That page link is no longer valid.")
		}
	}
	page, err := models.Notifications(c.UserContext(), a.db, user, after, 30)
	if err != nil {
		return err
	}
	rows := make([]notificationRow, len(page.Items))
	unread := false
	for i, it := range page.Items {
		rows[i] = describeNotification(it)
		unread = unread || it.ReadAt == nil
	}
	next := ""
	if page.Next != 0 {
		next = strconv.FormatInt(page.Next, 10)
	}
	return a.render(c, fiber.StatusOK, "notifications", fiber.Map{
		"Title": "Notifications", "Rows": rows, "Next": next, "AnyUnread": unread,
	})
}

// markNotificationsRead marks them all read.
func (a *App) markNotificationsRead(c *fiber.Ctx) error {
	if err := models.MarkAllRead(c.UserContext(), a.db, currentUser(c).ID); err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"unread": 0})
	}
	return c.Redirect("/notifications", fiber.StatusSeeOther)
}

// showSettings shows the mail choices and the ideas followed.
func (a *App) showSettings(c *fiber.Ctx) error {
	return a.renderSettings(c, fiber.StatusOK, c.Query("saved") != "")
}

func (a *App) renderSettings(c *fiber.Ctx, status int, saved bool) error {
	user := currentUser(c)
	followed, err := models.FollowedIdeas(c.UserContext(), a.db, user, 200)
	if err != nil {
		return err
	}
	return a.render(c, status, "settings", fiber.Map{
		"Title": "Settings", "Followed": followed, "Saved": saved, "Mail": a.mailer != nil,
	})
}

// saveSettings stores which mails the person wants.
func (a *App) saveSettings(c *fiber.Ctx) error {
	user := currentUser(c)
	prefs := models.NotifyPrefs{
		Status:   c.FormValue("notify_status") != "",
		Comments: c.FormValue("notify_comments") != "",
		Digest:   c.FormValue("notify_digest") != "",
	}
	if err := models.SetNotifyPrefs(c.UserContext(), a.db, user, prefs); err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"notify_status": user.NotifyStatus, "notify_comments": user.NotifyComments, "notify_digest": user.NotifyDigest})
	}
	return c.Redirect("/settings?saved=1", fiber.StatusSeeOther)
}

// showDeliveries lists the deliveries that gave up, for admins.
func (a *App) showDeliveries(c *fiber.Ctx) error {
	jobs, err := models.FailedJobs(c.UserContext(), a.db, 100)
	if err != nil {
		return err
	}
	depth, err := models.QueueDepth(c.UserContext(), a.db)
	if err != nil {
		return err
	}
	// Mail jobs name an event and a person; show who and what.
	rows := make([]deliveryRow, len(jobs))
	var ids []int64
	for i := range jobs {
		var args struct {
			EventID int64 `json:"event_id"`
			UserID  int64 `json:"user_id"`
		}
		_ = jobs[i].Decode(&args)
		rows[i] = deliveryRow{Job: jobs[i], EventID: args.EventID, UserID: args.UserID}
		if args.UserID != 0 {
			ids = append(ids, args.UserID)
		}
	}
	emails, err := models.UserEmails(c.UserContext(), a.db, ids)
	if err != nil {
		return err
	}
	for i := range rows {
		rows[i].Recipient = emails[rows[i].UserID]
	}
	return a.render(c, fiber.StatusOK, "deliveries", fiber.Map{"Title": "Deliveries", "Rows": rows, "Depth": depth})
}

// deliveryRow is a failed delivery as admins see it.
type deliveryRow struct {
	models.Job
	EventID   int64
	UserID    int64
	Recipient string
}

// retryDelivery puts a failed delivery back in the queue.
func (a *App) retryDelivery(c *fiber.Ctx) error {
	id, err := parseID(c.Params("id"))
	if err != nil {
		return err
	}
	if err := models.RetryJob(c.UserContext(), a.db, id); err != nil {
		return err
	}
	a.queue.nudge()
	a.log.Info("delivery retried", "job", id, "by", currentUser(c).ID)
	return c.Redirect("/admin/deliveries", fiber.StatusSeeOther)
}
