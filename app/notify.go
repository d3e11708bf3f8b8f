package app

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"time"

	"github.com/cluetrain/cluetrain/app/mail"
	"github.com/cluetrain/cluetrain/app/markdown"
	"github.com/cluetrain/cluetrain/models"
)

// The queue's handlers: fanning events out to followers, mailing each of
// them, the staff digest and hourly upkeep.

func (a *App) registerJobs() {
	a.queue.handle(models.JobNotify, a.notifyFollowers)
	a.queue.handle(models.JobMail, a.mailNotification)
	a.queue.handle(models.JobDigest, a.queueDigest)
	a.queue.handle(models.JobDigestMail, a.mailDigest)
	a.queue.handle(models.JobCleanup, a.cleanUp)
	a.queue.handle(models.JobWebhook, a.deliverWebhook)
}

func (a *App) notifyFollowers(ctx context.Context, j *models.Job) error {
	var args models.EventArgs
	if err := j.Decode(&args); err != nil {
		return permanent(err)
	}
	n, err := models.NotifyFollowers(ctx, a.db, args.EventID)
	if err == nil && n > 0 {
		a.log.Debug("followers notified", "event", args.EventID, "people", n)
		a.queue.nudge()
	}
	return err
}

// mailNotification mails one follower about one event, unless they should
// no longer get it (they unfollowed, were blocked, lost sight of the idea,
// or turned that kind of mail off since).
func (a *App) mailNotification(ctx context.Context, j *models.Job) error {
	var args models.MailArgs
	if err := j.Decode(&args); err != nil {
		return permanent(err)
	}
	m, err := models.MailFor(ctx, a.db, args.EventID, args.UserID)
	if errors.Is(err, models.ErrNotFound) {
		a.log.Debug("notification mail no longer due", "event", args.EventID, "user", args.UserID, "reason", err)
		return nil
	}
	if err != nil {
		return err
	}
	msg, err := a.notificationMessage(m)
	if err != nil {
		return permanent(err)
	}
	return a.deliver(ctx, msg)
}

// notificationEmail is what the notification templates are given.
type notificationEmail struct {
	Site        string
	Accent      string
	BaseURL     string
	Kind        string
	Name        string // the recipient's
	Actor       string
	Idea        *models.Idea
	IdeaURL     string
	Merged      *models.Idea
	StatusName  string
	Quote       template.HTML // sanitized HTML of the response or comment
	QuoteText   string        // the same as plain text
	Unsubscribe string
	SettingsURL string
	Why         string
}

func (a *App) notificationMessage(m *models.Mailing) (mail.Message, error) {
	e := notificationEmail{
		Site: a.siteLabel(context.Background()), Accent: a.mailAccent(context.Background()), BaseURL: a.cfg.BaseURL, Kind: m.Event.Kind,
		Name: m.Recipient.Name, Actor: m.Actor, Idea: m.Idea, Merged: m.Merged,
		IdeaURL:     a.cfg.URL(ideaPath(m.Idea.ID, m.Idea.Slug)),
		Unsubscribe: a.cfg.URL("/unsubscribe/" + a.unsubscribeToken(m.Recipient.ID, m.Idea.ID)),
		SettingsURL: a.cfg.URL("/settings"),
		Why:         "You're getting this because you follow this idea.",
	}
	if e.Actor == "" {
		e.Actor = "Someone"
	}
	var subject string
	switch m.Event.Kind {
	case models.EventStatusChanged:
		e.StatusName = m.Change.ToName
		e.Quote = template.HTML(m.Change.ResponseHTML) //nolint:gosec // sanitized when written
		subject = fmt.Sprintf("“%s” is now %s", m.Idea.Title, m.Change.ToName)
		if m.Change.From == m.Change.To {
			subject = fmt.Sprintf("A response to “%s”", m.Idea.Title)
		}
	case models.EventCommented:
		e.Quote = template.HTML(m.Comment.BodyHTML) //nolint:gosec // sanitized when written
		e.IdeaURL = a.cfg.URL(commentPath(m.Idea.ID, m.Idea.Slug, m.Comment.ID))
		subject = fmt.Sprintf("%s commented on “%s”", e.Actor, m.Idea.Title)
	case models.EventMerged:
		subject = fmt.Sprintf("“%s” was merged into “%s”", m.Merged.Title, m.Idea.Title)
		e.Why = "You're getting this because you followed the merged idea; you now follow this one instead."
	case models.EventIdeaApproved:
		subject = fmt.Sprintf("“%s” is published", m.Idea.Title)
	}
	e.QuoteText = markdown.PlainText(string(e.Quote))
	text, html, err := a.emails.render("notification", e)
	if err != nil {
		return mail.Message{}, err
	}
	return mail.Message{
		To:          m.Recipient.EmailAddress(),
		Subject:     subject,
		Text:        text,
		HTML:        html,
		Unsubscribe: e.Unsubscribe,
	}, nil
}

func (a *App) queueDigest(ctx context.Context, j *models.Job) error {
	var args models.DigestArgs
	if err := j.Decode(&args); err != nil {
		return permanent(err)
	}
	n, err := models.QueueDigest(ctx, a.db, args.Day)
	if err == nil && n > 0 {
		a.queue.nudge()
	}
	return err
}

// digestEmail is what the digest templates are given.
type digestEmail struct {
	Site, BaseURL, Name string
	Accent              string
	Day                 string
	Ideas               []digestIdea
	More                bool
	Unsubscribe         string
	SettingsURL         string
}

type digestIdea struct {
	Title, URL, Summary string
}

func (a *App) mailDigest(ctx context.Context, j *models.Job) error {
	var args models.DigestMailArgs
	if err := j.Decode(&args); err != nil {
		return permanent(err)
	}
	d, err := models.DigestFor(ctx, a.db, args.Day, args.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	e := digestEmail{
		Site: a.siteLabel(ctx), Accent: a.mailAccent(ctx), BaseURL: a.cfg.BaseURL, Name: d.Recipient.Name,
		Day: args.Day.Add(-24 * time.Hour).Format("Monday 2 January"), More: d.More,
		Unsubscribe: a.cfg.URL("/unsubscribe/" + a.unsubscribeToken(d.Recipient.ID, 0)),
		SettingsURL: a.cfg.URL("/settings"),
	}
	for _, i := range d.Ideas {
		e.Ideas = append(e.Ideas, digestIdea{Title: i.Title, URL: a.cfg.URL(ideaPath(i.ID, i.Slug)), Summary: i.Excerpt(200)})
	}
	text, html, err := a.emails.render("digest", e)
	if err != nil {
		return permanent(err)
	}
	return a.deliver(ctx, mail.Message{
		To:          d.Recipient.EmailAddress(),
		Subject:     fmt.Sprintf("%d new %s on %s", len(d.Ideas), plural(len(d.Ideas), "idea", "ideas"), a.cfg.Base.Host),
		Text:        text,
		HTML:        html,
		Unsubscribe: e.Unsubscribe,
	})
}

// cleanUp deletes expired sessions and sign-in links, and jobs finished a
// week ago.
func (a *App) cleanUp(ctx context.Context, _ *models.Job) error {
	n, err := models.PurgeExpired(ctx, a.db)
	if err != nil {
		return err
	}
	jobs, err := models.PurgeJobs(ctx, a.db, a.db.Now().Add(-7*24*time.Hour))
	if err != nil {
		return err
	}
	limits, err := models.PurgeLimits(ctx, a.db)
	if err != nil {
		return err
	}
	if n+int64(jobs)+limits > 0 {
		a.log.Info("cleaned up", "sessions_and_links", n, "jobs", jobs, "rate_limits", limits)
	}
	return nil
}

// deliver sends a message. Without SMTP_URL it is written to the log at
// debug level instead (the notification itself stays in the portal). A
// refusal the server says is final for that recipient is not retried.
func (a *App) deliver(ctx context.Context, msg mail.Message) error {
	if a.mailer == nil {
		a.log.Debug("SMTP_URL is not set, so this mail is not sent", "to", msg.To, "subject", msg.Subject, "text", msg.Text)
		return nil
	}
	err := a.mailer.Send(ctx, msg)
	if mail.Permanent(err) {
		return permanent(err)
	}
	return err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
