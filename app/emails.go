package app

import (
	"bytes"
	"context"
	"fmt"
	htmltemplate "html/template"
	texttemplate "text/template"

	"github.com/cluetrain/cluetrain/app/mail"
	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/views"
)

// emailTemplates are the views/emails files: NAME.txt bodies with their
// NAME.html alternatives.
type emailTemplates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

func loadEmailTemplates() (*emailTemplates, error) {
	t, err := texttemplate.ParseFS(views.FS, "emails/*.txt")
	if err != nil {
		return nil, fmt.Errorf("load email templates: %w", err)
	}
	h, err := htmltemplate.ParseFS(views.FS, "emails/*.html")
	if err != nil {
		return nil, fmt.Errorf("load email templates: %w", err)
	}
	return &emailTemplates{text: t, html: h}, nil
}

// render makes the plain-text and HTML parts of the email called name.
func (e *emailTemplates) render(name string, data any) (text, html string, err error) {
	var t, h bytes.Buffer
	if err := e.text.ExecuteTemplate(&t, name+".txt", data); err != nil {
		return "", "", fmt.Errorf("render email %s: %w", name, err)
	}
	if err := e.html.ExecuteTemplate(&h, name+".html", data); err != nil {
		return "", "", fmt.Errorf("render email %s: %w", name, err)
	}
	return t.String(), h.String(), nil
}

// mailLoginLink sends the link, or without SMTP_URL writes it to the log so
// that a portal can be tried without a mail server. That line is the only
// place a token is ever logged.
func (a *App) mailLoginLink(ctx context.Context, email, link string) error {
	text, html, err := a.emails.render("login_link", map[string]any{
		"Link": link, "Site": a.siteLabel(ctx), "Accent": a.mailAccent(ctx), "BaseURL": a.cfg.BaseURL,
		"Minutes": int(models.LoginLinkLifetime.Minutes()),
	})
	if err != nil {
		return err
	}
	if a.mailer == nil {
		a.log.Info("SMTP_URL is not set, so the sign-in link is written here instead of being emailed", "email", email, "link", link)
		return nil
	}
	return a.mailer.Send(ctx, mail.Message{
		To:      email,
		Subject: "Your sign-in link for " + a.cfg.Base.Host,
		Text:    text,
		HTML:    html,
	})
}
