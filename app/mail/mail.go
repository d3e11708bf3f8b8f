// Package mail sends the portal's email through an SMTP server named by a
// URL: smtp://user:pass@host:port (STARTTLS required, except to a loopback
// address), smtps://user:pass@host:port (TLS from the first byte) or
// smtp+plain://host:port (no TLS at all: a trusted relay on a private
// network).
package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Message is one email with a plain-text body and an HTML alternative.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
	// Unsubscribe, when set, is the one-click unsubscribe URL (RFC 8058):
	// it becomes List-Unsubscribe, with List-Unsubscribe-Post.
	Unsubscribe string
}

// Mailer sends messages from one address through one server.
type Mailer struct {
	from string
	host string
	opts []gomail.Option
}

// sendTimeout bounds one delivery, connection included.
const sendTimeout = 20 * time.Second

// New parses the server URL. The URL is checked here so that a bad one
// fails at start, not at the first sign-in.
func New(smtpURL, from string) (*Mailer, error) {
	u, err := url.Parse(smtpURL)
	if err != nil || u.Hostname() == "" {
		return nil, errors.New("SMTP_URL: want smtp://user:pass@host:port, smtps://... or smtp+plain://host:port")
	}
	opts := []gomail.Option{gomail.WithTimeout(sendTimeout)}
	port := 587
	switch u.Scheme {
	case "smtp":
		// Credentials and mail never cross a network in the clear: the
		// server must offer STARTTLS, unless it is on this machine.
		policy := gomail.TLSMandatory
		if ip := net.ParseIP(u.Hostname()); u.Hostname() == "localhost" || ip != nil && ip.IsLoopback() {
			policy = gomail.TLSOpportunistic
		}
		opts = append(opts, gomail.WithTLSPolicy(policy))
	case "smtps":
		port = 465
		opts = append(opts, gomail.WithSSL())
	case "smtp+plain":
		port = 25
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		return nil, fmt.Errorf("SMTP_URL: unknown scheme %q (want smtp, smtps or smtp+plain)", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("SMTP_URL: bad port %q", p)
		}
	}
	opts = append(opts, gomail.WithPort(port))
	if u.User != nil && u.User.Username() != "" {
		pass, _ := u.User.Password()
		opts = append(opts,
			gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()),
			gomail.WithPassword(pass))
	}
	return &Mailer{from: from, host: u.Hostname(), opts: opts}, nil
}

// Send delivers one message.
func (m *Mailer) Send(ctx context.Context, msg Message) error {
	out := gomail.NewMsg()
	if err := out.From(m.from); err != nil {
		return fmt.Errorf("mail from %q: %w", m.from, err)
	}
	if err := out.To(msg.To); err != nil {
		return fmt.Errorf("mail to %q: %w", msg.To, err)
	}
	out.Subject(msg.Subject)
	out.SetDate()
	out.SetMessageID()
	out.SetBodyString(gomail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		out.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	}
	if msg.Unsubscribe != "" {
		out.SetGenHeaderPreformatted("List-Unsubscribe", "<"+msg.Unsubscribe+">")
		out.SetGenHeaderPreformatted("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	client, err := gomail.NewClient(m.host, m.opts...)
	if err != nil {
		return fmt.Errorf("mail client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	if err := client.DialAndSendWithContext(ctx, out); err != nil {
		return fmt.Errorf("send mail to %s: %w", msg.To, err)
	}
	return nil
}

// Permanent reports whether the server refused the message for good (a 5xx
// reply, such as an unknown recipient), so that trying again cannot help.
// Anything else, a 4xx reply or a server that could not be reached, may
// pass.
func Permanent(err error) bool {
	var se *gomail.SendError
	return errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500
}
