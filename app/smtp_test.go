package app

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// mailbox is a real SMTP server on loopback that keeps what it receives.
type mailbox struct {
	mu       sync.Mutex
	msgs     []received
	addr     string
	tempFail int             // refuse this many more messages with 451
	rejected map[string]bool // refuse these recipients with 550
	attempts int             // messages offered, taken or not
	gate     chan struct{}   // when set, each message waits for it to close
	arrived  chan struct{}   // told when a message waits at the gate
}

// holdMessages makes each message wait, once it has arrived, until the
// returned function is called; arrivals are signalled on the channel.
func (b *mailbox) holdMessages() (arrived <-chan struct{}, release func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.gate, b.arrived = make(chan struct{}), make(chan struct{}, 100)
	gate := b.gate
	return b.arrived, func() { close(gate) }
}

type received struct {
	from string
	to   []string
	data []byte
}

type smtpSession struct {
	box *mailbox
	cur received
}

// refuseNext makes the server answer the next n messages with a 451
// (try again later) instead of taking them.
func (b *mailbox) refuseNext(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tempFail = n
}

// rejectRecipient makes the server refuse mail to the address for good
// (550).
func (b *mailbox) rejectRecipient(addr string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.rejected == nil {
		b.rejected = map[string]bool{}
	}
	b.rejected[addr] = true
}

func (s *smtpSession) Reset()                                      { s.cur = received{} }
func (s *smtpSession) Logout() error                               { return nil }
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error { s.cur.from = from; return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	if s.box.rejected[to] {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox"}
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.box.mu.Lock()
	gate, arrived := s.box.gate, s.box.arrived
	s.box.mu.Unlock()
	if gate != nil {
		arrived <- struct{}{}
		<-gate
	}
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	s.box.attempts++
	if s.box.tempFail > 0 {
		s.box.tempFail--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	}
	s.box.msgs = append(s.box.msgs, s.cur)
	return nil
}

func startSMTP(t *testing.T) *mailbox {
	t.Helper()
	box := &mailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{box: box}, nil }))
	srv.Domain = "mail.test"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	box.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return box
}

func (b *mailbox) messages() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.msgs...)
}

// textOf decodes a received message and returns its subject and its
// plain-text part.
func textOf(t *testing.T, raw []byte) (subject, text string) {
	t.Helper()
	m := parseMail(t, raw)
	return m.subject, m.text
}

// parsedMail is a received message, decoded.
type parsedMail struct {
	header     mail.Header
	subject    string
	text, html string
}

// parseMail decodes a received multipart message into its headers and its
// plain-text and HTML parts.
func parseMail(t *testing.T, raw []byte) parsedMail {
	t.Helper()
	var out parsedMail
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	out.header = msg.Header
	dec := new(mime.WordDecoder)
	if out.subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		t.Fatalf("message is %q, want multipart", mt)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		var r io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			r = quotedprintable.NewReader(p)
		}
		body, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		switch ct := p.Header.Get("Content-Type"); {
		case strings.HasPrefix(ct, "text/plain"):
			out.text = string(body)
		case strings.HasPrefix(ct, "text/html"):
			out.html = string(body)
		}
	}
	return out
}
