package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// hookMessage is one request a receiver got.
type hookMessage struct {
	id, timestamp, signature string
	body                     []byte
}

// hookReceiver is a real HTTP server that records what it is sent and
// answers with the status it is told.
type hookReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []hookMessage
	status atomic.Int32
}

func newHookReceiver(t *testing.T, status int) *hookReceiver {
	t.Helper()
	r := &hookReceiver{}
	r.status.Store(int32(status))
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, hookMessage{
			id: req.Header.Get("webhook-id"), timestamp: req.Header.Get("webhook-timestamp"),
			signature: req.Header.Get("webhook-signature"), body: body,
		})
		r.mu.Unlock()
		w.WriteHeader(int(r.status.Load()))
		_, _ = io.WriteString(w, "received")
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *hookReceiver) messages() []hookMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hookMessage(nil), r.got...)
}

// verifyStandardWebhook checks a message the way the Standard Webhooks
// specification tells a receiver to, written here from the specification
// rather than from the code under test: the key is the secret's base64
// part decoded, the signed content "id.timestamp.body", and the header a
// space-separated list of "v1,BASE64" signatures, one of which must match.
func verifyStandardWebhook(secret string, m hookMessage, now time.Time) error {
	b64, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return fmt.Errorf("secret %q lacks whsec_", secret)
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return fmt.Errorf("secret: %w", err)
	}
	ts, err := strconv.ParseInt(m.timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q: %w", m.timestamp, err)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("timestamp %d is %s away", ts, d)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(m.id + "." + m.timestamp + "."))
	mac.Write(m.body)
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(m.signature) {
		v, enc, ok := strings.Cut(sig, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(enc)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("no signature in %q matches", m.signature)
}

func hookTestApp(t *testing.T, db *models.DB, allow string, opts ...Option) *testApp {
	env := map[string]string{"BASE_URL": "http://portal.test"}
	if allow != "" {
		env["WEBHOOK_ALLOW_NETWORKS"] = allow
	}
	return newTestAppWith(t, db, env, append([]Option{WithoutRateLimits()}, opts...)...)
}

// A receiver hears, signed, of every event it asked for, and never of
// private ideas.
func TestWebhookDelivery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := hookTestApp(t, db, "127.0.0.0/8")
		s := serveAPI(t, ta)
		people := dbtest.People(t, db)
		private := dbtest.Board(t, db, "internal", true)
		key := apiKey(t, db, "Hooks", models.ScopeWrite)
		recv := newHookReceiver(t, http.StatusNoContent)

		s.call("POST", "/api/v1/webhooks", apiKey(t, db, "Reader", models.ScopeRead),
			map[string]any{"url": recv.URL + "/hook", "events": []string{"idea.created"}}, http.StatusForbidden)
		bad := s.call("POST", "/api/v1/webhooks", key, map[string]any{"url": recv.URL, "events": []string{"idea.deleted"}}, http.StatusUnprocessableEntity).JSON(t)
		if bad["errors"].(map[string]any)["events"] == nil {
			t.Errorf("unknown event: %v", bad)
		}
		bad = s.call("POST", "/api/v1/webhooks", key, map[string]any{"url": "ftp://example.com/x", "events": []string{"idea.created"}}, http.StatusUnprocessableEntity).JSON(t)
		if bad["errors"].(map[string]any)["url"] == nil {
			t.Errorf("bad url: %v", bad)
		}

		events := []string{"idea.created", "idea.status_changed", "comment.created", "vote.created", "idea.merged"}
		hook := s.call("POST", "/api/v1/webhooks", key, map[string]any{"url": recv.URL + "/hook", "events": events}, http.StatusCreated).JSON(t)
		secret, _ := hook["secret"].(string)
		if !strings.HasPrefix(secret, "whsec_") || hook["id"] == nil || hook["disabled"] != false {
			t.Fatalf("created webhook: %v", hook)
		}
		listed := s.call("GET", "/api/v1/webhooks", key, nil, http.StatusOK).JSON(t)["webhooks"].([]any)
		if len(listed) != 1 || listed[0].(map[string]any)["secret"] != nil {
			t.Errorf("the list shows the secret or the wrong endpoints: %v", listed)
		}

		idea := s.call("POST", "/api/v1/ideas", key, map[string]any{"title": "Dark mode for the widget", "board": "feature-requests", "author_id": people.Ann.ID}, http.StatusCreated).JSON(t)
		ideaID := int64(idea["id"].(float64))
		s.call("PUT", fmt.Sprintf("/api/v1/ideas/%d/votes/%d", ideaID, people.Bob.ID), key, nil, http.StatusOK)
		s.call("PUT", fmt.Sprintf("/api/v1/ideas/%d/votes/%d", ideaID, people.Bob.ID), key, nil, http.StatusOK) // no second message
		s.call("POST", fmt.Sprintf("/api/v1/ideas/%d/comments", ideaID), key, map[string]any{"body": "Seconded", "author_id": people.Bob.ID}, http.StatusCreated)
		s.call("POST", fmt.Sprintf("/api/v1/ideas/%d/status", ideaID), key, map[string]any{"status": "planned", "response": "Soon."}, http.StatusOK)
		// Private: an idea, a vote and a comment that must not leave.
		hid := s.call("POST", "/api/v1/ideas", key, map[string]any{"title": "Internal roadmap item", "board": private.Slug}, http.StatusCreated).JSON(t)
		hidID := int64(hid["id"].(float64))
		s.call("PUT", fmt.Sprintf("/api/v1/ideas/%d/votes/%d", hidID, people.Staff.ID), key, nil, http.StatusOK)
		s.call("POST", fmt.Sprintf("/api/v1/ideas/%d/comments", hidID), key, map[string]any{"body": "Internal note"}, http.StatusCreated)
		ta.runJobs()

		got := recv.messages()
		var types []string
		ids := map[string]bool{}
		for _, m := range got {
			if err := verifyStandardWebhook(secret, m, db.Now()); err != nil {
				t.Errorf("message %s: %v", m.id, err)
			}
			if ids[m.id] {
				t.Errorf("message id %s twice", m.id)
			}
			ids[m.id] = true
			var msg struct {
				Type string `json:"type"`
				Data struct {
					Idea struct {
						ID    int64  `json:"id"`
						Title string `json:"title"`
						URL   string `json:"url"`
					} `json:"idea"`
				} `json:"data"`
			}
			if err := json.Unmarshal(m.body, &msg); err != nil {
				t.Fatalf("body: %v\n%s", err, m.body)
			}
			if msg.Data.Idea.ID != ideaID || msg.Data.Idea.URL != fmt.Sprintf("http://portal.test/ideas/%d/dark-mode-for-the-widget", ideaID) {
				t.Errorf("%s is about %+v", msg.Type, msg.Data.Idea)
			}
			types = append(types, msg.Type)
		}
		want := []string{"idea.created", "vote.created", "comment.created", "idea.status_changed"}
		if fmt.Sprint(types) != fmt.Sprint(want) {
			t.Errorf("received %v, want %v", types, want)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM webhook_deliveries WHERE status = 204"); n != 4 {
			t.Errorf("%d deliveries logged", n)
		}
		// A tampered body fails the same check.
		if len(got) > 0 {
			m := got[0]
			m.body = append([]byte(nil), m.body...)
			m.body[len(m.body)-2] ^= 1
			if verifyStandardWebhook(secret, m, db.Now()) == nil {
				t.Error("a tampered message verifies")
			}
		}

		// A merge is heard of too.
		dup := s.call("POST", "/api/v1/ideas", key, map[string]any{"title": "Night theme for the widget", "board": "feature-requests", "author_id": people.Bob.ID}, http.StatusCreated).JSON(t)
		if _, err := models.MergeIdea(t.Context(), db, int64(dup["id"].(float64)), ideaID, people.Staff); err != nil {
			t.Fatal(err)
		}
		ta.runJobs()
		types = nil
		for _, m := range recv.messages()[len(got):] {
			if err := verifyStandardWebhook(secret, m, db.Now()); err != nil {
				t.Errorf("message %s: %v", m.id, err)
			}
			var msg struct {
				Type string `json:"type"`
			}
			_ = json.Unmarshal(m.body, &msg)
			types = append(types, msg.Type)
		}
		if fmt.Sprint(types) != "[idea.created idea.merged]" {
			t.Errorf("after the merge: %v", types)
		}

		s.call("DELETE", fmt.Sprintf("/api/v1/webhooks/%v", hook["id"]), key, nil, http.StatusNoContent)
		s.call("DELETE", fmt.Sprintf("/api/v1/webhooks/%v", hook["id"]), key, nil, http.StatusNotFound)
		s.call("DELETE", "/api/v1/webhooks/abc", key, nil, http.StatusNotFound)
	})
}

// A failing receiver gets the same message again, first within about ten
// seconds, then further apart; after the last attempt the endpoint is
// disabled with the reason, and hears nothing more.
func TestWebhookRetryThenDisable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := hookTestApp(t, db, "127.0.0.0/8")
		people := dbtest.People(t, db)
		recv := newHookReceiver(t, http.StatusInternalServerError)
		hook, err := ta.createWebhook(t.Context(), recv.URL, []string{models.HookIdeaCreated}, people.Admin)
		if err != nil {
			t.Fatal(err)
		}
		dbtest.PostIdea(t, db, people.Ann, "Retry me", "")
		ta.runJobs()
		if n := len(recv.messages()); n != 1 {
			t.Fatalf("%d attempts at first", n)
		}
		ta.clock.Advance(10 * time.Second)
		ta.runJobs()
		if n := len(recv.messages()); n != 2 {
			t.Fatalf("%d attempts ten seconds later", n)
		}
		for range 3 * models.DefaultMaxAttempts {
			ta.clock.Advance(7 * time.Hour)
			ta.runJobs()
		}
		got := recv.messages()
		if len(got) != models.DefaultMaxAttempts {
			t.Fatalf("%d attempts, want %d", len(got), models.DefaultMaxAttempts)
		}
		for _, m := range got {
			if m.id != got[0].id || string(m.body) != string(got[0].body) {
				t.Fatalf("a retry changed the message: %s vs %s", m.id, got[0].id)
			}
			if err := verifyStandardWebhook(hook.Secret, m, time.Unix(mustInt(t, m.timestamp), 0)); err != nil {
				t.Error(err)
			}
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = ? AND status = 500", hook.ID); n != models.DefaultMaxAttempts {
			t.Errorf("%d deliveries logged", n)
		}
		w, err := models.WebhookByID(t.Context(), db, hook.ID)
		if err != nil {
			t.Fatal(err)
		}
		if w.DisabledAt == nil || !strings.Contains(w.DisabledReason, "answered 500") {
			t.Fatalf("endpoint not disabled: %v %q", w.DisabledAt, w.DisabledReason)
		}
		dbtest.PostIdea(t, db, people.Ann, "After the end", "")
		ta.runJobs()
		if n := len(recv.messages()); n != models.DefaultMaxAttempts {
			t.Errorf("a disabled endpoint got %d messages", n)
		}
	})
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Private, loopback, link-local and metadata targets are refused when the
// endpoint is registered, and again when connecting, so a name that
// resolves somewhere public at first and to 127.0.0.1 later reaches
// nothing.
func TestWebhookSSRF(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		var rebound atomic.Bool
		resolve := func(_ context.Context, host string) ([]netip.Addr, error) {
			switch host {
			case "loopback.test":
				return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
			case "rebind.test":
				if rebound.Load() {
					return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
				}
				return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		ta := hookTestApp(t, db, "", WithResolver(resolve))
		s := serveAPI(t, ta)
		people := dbtest.People(t, db)
		key := apiKey(t, db, "Hooks", models.ScopeWrite)
		recv := newHookReceiver(t, http.StatusOK)
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(recv.URL, "http://"))

		for _, target := range []string{
			recv.URL, "http://localhost.:" + port, "http://loopback.test:" + port, "http://10.1.2.3/", "http://192.168.0.10/",
			"http://169.254.169.254/latest/meta-data", "http://[::1]:" + port, "http://[fd00::1]/", "http://0.0.0.0:" + port,
			"http://[::ffff:127.0.0.1]:" + port, "http://nowhere.test/",
		} {
			res := s.call("POST", "/api/v1/webhooks", key, map[string]any{"url": target, "events": []string{"idea.created"}}, http.StatusUnprocessableEntity).JSON(t)
			if res["errors"].(map[string]any)["url"] == nil {
				t.Errorf("%s: %v", target, res)
			}
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM webhooks"); n != 0 {
			t.Fatalf("%d endpoints stored", n)
		}

		s.call("POST", "/api/v1/webhooks", key, map[string]any{"url": "http://rebind.test:" + port + "/hook", "events": []string{"idea.created"}}, http.StatusCreated)
		rebound.Store(true)
		dbtest.PostIdea(t, db, people.Ann, "Rebinding", "")
		ta.runJobs()
		if n := len(recv.messages()); n != 0 {
			t.Fatalf("the receiver on loopback got %d messages", n)
		}
		var errText string
		if err := db.Bun().NewRaw("SELECT error FROM webhook_deliveries").Scan(t.Context(), &errText); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(errText, "private, loopback or link-local") {
			t.Errorf("delivery error %q", errText)
		}
	})
}

// An idea waiting for approval is hidden, so webhooks hear nothing of it
// until staff approve it; then they hear idea.created, once. A declined
// idea is never heard of.
func TestWebhookHearsOfAWaitingIdeaWhenApproved(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := hookTestApp(t, db, "127.0.0.0/8")
		people := dbtest.People(t, db)
		recv := newHookReceiver(t, http.StatusNoContent)
		if _, err := ta.createWebhook(t.Context(), recv.URL, []string{models.HookIdeaCreated}, people.Admin); err != nil {
			t.Fatal(err)
		}
		setApproval(t, db, models.ApprovalAll)
		waiting := dbtest.PostIdea(t, db, people.Ann, "Waiting for a look", "")
		spam := dbtest.PostIdea(t, db, people.Bob, "Cheap watches", "")
		ta.runJobs()
		if n := len(recv.messages()); n != 0 {
			t.Fatalf("%d messages about ideas waiting for approval", n)
		}
		if _, err := models.DeclineIdea(t.Context(), db, spam.ID, people.Staff); err != nil {
			t.Fatal(err)
		}
		if _, err := models.ApproveIdea(t.Context(), db, waiting.ID, people.Staff); err != nil {
			t.Fatal(err)
		}
		ta.runJobs()
		got := recv.messages()
		if len(got) != 1 {
			t.Fatalf("%d messages after approving one idea and declining another, want 1", len(got))
		}
		var msg struct {
			Type string `json:"type"`
			Data struct {
				Idea struct {
					ID int64 `json:"id"`
				} `json:"idea"`
			} `json:"data"`
		}
		if err := json.Unmarshal(got[0].body, &msg); err != nil || msg.Type != models.HookIdeaCreated || msg.Data.Idea.ID != waiting.ID {
			t.Fatalf("message %s (%v): %+v", got[0].body, err, msg)
		}
	})
}
