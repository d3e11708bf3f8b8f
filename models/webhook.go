package models

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

// Webhook event types, as receivers see them.
const (
	HookIdeaCreated   = "idea.created"
	HookStatusChanged = "idea.status_changed"
	HookCommentMade   = "comment.created"
	HookVoteCreated   = "vote.created"
	HookIdeaMerged    = "idea.merged"
)

// HookEvents lists the event types an endpoint may ask for.
var HookEvents = []string{HookIdeaCreated, HookStatusChanged, HookCommentMade, HookVoteCreated, HookIdeaMerged}

// JobWebhook delivers one message to one endpoint.
const JobWebhook = "webhook"

// hookDeliveryAttempts spreads a delivery's retries over about a day (see
// RetryDelay); after the last one the endpoint is disabled.
const hookDeliveryAttempts = DefaultMaxAttempts

// Webhook is an endpoint that hears about changes.
type Webhook struct {
	bun.BaseModel `bun:"table:webhooks"`

	ID             int64      `bun:"id,pk,autoincrement"`
	URL            string     `bun:"url"`
	Events         string     `bun:"events"` // comma list of HookEvents
	Secret         string     `bun:"secret"` // whsec_BASE64, kept to sign with
	CreatedBy      *int64     `bun:"created_by"`
	CreatedAt      time.Time  `bun:"created_at"`
	DisabledAt     *time.Time `bun:"disabled_at"`
	DisabledReason string     `bun:"disabled_reason"`
}

// EventList is the endpoint's event types.
func (w *Webhook) EventList() []string { return strings.Split(w.Events, ",") }

// Wants reports whether the endpoint asked for the event type.
func (w *Webhook) Wants(event string) bool { return slices.Contains(w.EventList(), event) }

// WebhookDelivery is one attempt to deliver a message.
type WebhookDelivery struct {
	bun.BaseModel `bun:"table:webhook_deliveries"`

	ID         int64     `bun:"id,pk,autoincrement"`
	WebhookID  int64     `bun:"webhook_id"`
	MessageID  string    `bun:"message_id"`
	Event      string    `bun:"event"`
	Attempt    int       `bun:"attempt"`
	Status     int       `bun:"status"` // the HTTP status, 0 when none came
	DurationMS int       `bun:"duration_ms"`
	Response   string    `bun:"response"` // the start of the answer
	Error      string    `bun:"error"`
	CreatedAt  time.Time `bun:"created_at"`
}

// OK reports whether the attempt was accepted.
func (d *WebhookDelivery) OK() bool { return d.Status >= 200 && d.Status < 300 }

// WebhookArgs is a delivery job's message: the same id and body on every
// attempt, so receivers can tell a retry from a new message.
type WebhookArgs struct {
	WebhookID int64           `json:"webhook_id"`
	MessageID string          `json:"message_id"`
	Type      string          `json:"type"`
	At        time.Time       `json:"at"`
	Data      json.RawMessage `json:"data"`
}

// hookFlag remembers, for a moment, whether any endpoint is live, so a vote
// costs no extra query when nobody listens. Another instance's new endpoint
// is seen within hookFlagTTL; this instance's at once.
type hookFlag struct {
	mu    sync.Mutex
	live  bool
	until time.Time
}

const hookFlagTTL = 2 * time.Second

// hooksMaybeLive reports whether an endpoint may be live (a cached answer);
// when the cache has run out it asks through q, the caller's transaction.
func (db *DB) hooksMaybeLive(ctx context.Context, q bun.IDB) bool {
	f := db.hooks
	if f == nil {
		return true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if time.Now().Before(f.until) {
		return f.live
	}
	n, err := q.NewSelect().Table("webhooks").Where("disabled_at IS NULL").Limit(1).Count(ctx)
	f.live, f.until = err != nil || n > 0, time.Now().Add(hookFlagTTL)
	return f.live
}

// forgetHooks drops the cached answer after endpoints change.
func (db *DB) forgetHooks() {
	if db.hooks == nil {
		return
	}
	db.hooks.mu.Lock()
	db.hooks.until = time.Time{}
	db.hooks.mu.Unlock()
}

// NewWebhook is what an admin or a program registers.
type NewWebhook struct {
	URL    string
	Events []string
	Actor  *User
}

// validWebhookURL checks the form of an endpoint's URL (where it leads is
// the caller's to check: see app/webhook.go).
func validWebhookURL(raw string) (*url.URL, string) {
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case raw == "":
		return nil, "Give the endpoint's URL."
	case len(raw) > 2000:
		return nil, "Keep the URL to 2000 characters or fewer."
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil:
		return nil, "Give an absolute http or https URL, without a user name or password."
	}
	return u, ""
}

// ParseWebhookURL checks an endpoint's URL and returns it parsed, or a
// *ValidationError on "url".
func ParseWebhookURL(raw string) (*url.URL, error) {
	u, msg := validWebhookURL(raw)
	if msg != "" {
		return nil, &ValidationError{Fields: map[string]string{"url": msg}}
	}
	return u, nil
}

// CreateWebhook registers an endpoint and returns it with its secret, which
// is shown this once.
func CreateWebhook(ctx context.Context, db *DB, n NewWebhook) (*Webhook, error) {
	if !n.Actor.IsStaff() {
		return nil, fmt.Errorf("create webhook: %w", ErrForbidden)
	}
	ve := &ValidationError{}
	if _, msg := validWebhookURL(n.URL); msg != "" {
		ve.Add("url", msg)
	}
	var events []string
	for _, e := range n.Events {
		e = strings.TrimSpace(e)
		switch {
		case e == "":
		case !slices.Contains(HookEvents, e):
			ve.Add("events", fmt.Sprintf("%q is not an event: use %s", e, strings.Join(HookEvents, ", ")))
		case !slices.Contains(events, e):
			events = append(events, e)
		}
	}
	if len(events) == 0 {
		ve.Add("events", "Choose at least one event.")
	}
	if err := ve.Err(); err != nil {
		return nil, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("make webhook secret: %w", err)
	}
	w := &Webhook{
		URL: strings.TrimSpace(n.URL), Events: strings.Join(events, ","),
		Secret: "whsec_" + base64.StdEncoding.EncodeToString(raw), CreatedBy: &n.Actor.ID, CreatedAt: db.Now(),
	}
	err := db.inTx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(w).Exec(ctx); err != nil {
			return err
		}
		return recordAudit(ctx, tx, w.CreatedAt, EventWebhookCreated, n.Actor.ID, hookTarget(w), "Created for "+w.Events)
	})
	if err != nil {
		return nil, fmt.Errorf("create webhook: %w", mapErr(err))
	}
	db.forgetHooks()
	return w, nil
}

// hookTarget names an endpoint in the audit log by its host alone: the
// rest of an endpoint's address is often a secret of its own (a chat
// service's incoming-hook path), and the log is exported.
func hookTarget(w *Webhook) string {
	host := "?"
	if u, err := url.Parse(w.URL); err == nil && u.Host != "" {
		host = u.Host
	}
	return fmt.Sprintf("Webhook #%d to %s", w.ID, clip(host, 200))
}

// Webhooks lists the endpoints, oldest first.
func Webhooks(ctx context.Context, db *DB) ([]Webhook, error) {
	var hooks []Webhook
	if err := db.bun.NewSelect().Model(&hooks).Order("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list webhooks: %w", mapErr(err))
	}
	return hooks, nil
}

// WebhookByID loads one endpoint.
func WebhookByID(ctx context.Context, db *DB, id int64) (*Webhook, error) {
	w := new(Webhook)
	if err := db.bun.NewSelect().Model(w).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("webhook %d: %w", id, mapErr(err))
	}
	return w, nil
}

// DeleteWebhook removes an endpoint and its log; its pending deliveries
// find it gone and end. The audit log names the admin ActingAs gives, or
// the key's account that asked.
func DeleteWebhook(ctx context.Context, db *DB, id int64) error {
	err := db.inTx(ctx, func(tx bun.Tx) error {
		w := new(Webhook)
		if err := tx.NewDelete().Model(w).Where("id = ?", id).Returning("*").Scan(ctx); err != nil {
			return mapErr(err)
		}
		return recordAudit(ctx, tx, db.Now(), EventWebhookDeleted, actorOf(ctx), hookTarget(w), "Deleted")
	})
	db.forgetHooks()
	if err != nil {
		return fmt.Errorf("delete webhook %d: %w", id, err)
	}
	return nil
}

// DisableWebhook stops deliveries to an endpoint, saying why.
func DisableWebhook(ctx context.Context, db *DB, id int64, reason string) error {
	_, err := db.bun.NewUpdate().Model((*Webhook)(nil)).
		Set("disabled_at = ?", db.Now()).Set("disabled_reason = ?", clip(reason, 500)).
		Where("id = ?", id).Where("disabled_at IS NULL").Exec(ctx)
	db.forgetHooks()
	if err != nil {
		return fmt.Errorf("disable webhook %d: %w", id, mapErr(err))
	}
	return nil
}

// EnableWebhook lets a disabled endpoint hear about changes again.
func EnableWebhook(ctx context.Context, db *DB, id int64) error {
	err := db.inTx(ctx, func(tx bun.Tx) error {
		w := new(Webhook)
		if err := tx.NewUpdate().Model(w).Set("disabled_at = NULL").Set("disabled_reason = ''").
			Where("id = ?", id).Returning("*").Scan(ctx); err != nil {
			return mapErr(err)
		}
		return recordAudit(ctx, tx, db.Now(), EventWebhookEnabled, actorOf(ctx), hookTarget(w), "Enabled again")
	})
	db.forgetHooks()
	if err != nil {
		return fmt.Errorf("enable webhook %d: %w", id, err)
	}
	return nil
}

// RecordDelivery logs one attempt.
func RecordDelivery(ctx context.Context, db *DB, d *WebhookDelivery) error {
	d.CreatedAt = db.Now()
	d.Response = clip(strings.ToValidUTF8(d.Response, "?"), 500)
	d.Error = clip(d.Error, 500)
	if _, err := db.bun.NewInsert().Model(d).Exec(ctx); err != nil {
		return fmt.Errorf("log webhook delivery: %w", mapErr(err))
	}
	return nil
}

// WebhookDeliveries lists an endpoint's latest attempts, newest first.
func WebhookDeliveries(ctx context.Context, db *DB, webhookID int64, limit int) ([]WebhookDelivery, error) {
	var ds []WebhookDelivery
	err := db.bun.NewSelect().Model(&ds).Where("webhook_id = ?", webhookID).
		OrderExpr("id DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("webhook %d deliveries: %w", webhookID, mapErr(err))
	}
	return ds, nil
}

// hookType is the webhook event type of an event kind, or "". An idea
// that waited for approval is created, as far as anyone outside can tell,
// when staff approve it: until then it is hidden, and heard of by no one.
func hookType(kind string) string {
	switch kind {
	case EventIdeaCreated, EventIdeaApproved:
		return HookIdeaCreated
	case EventStatusChanged:
		return HookStatusChanged
	case EventCommented:
		return HookCommentMade
	case EventMerged:
		return HookIdeaMerged
	}
	return ""
}

// HookIdea is how a webhook message names the idea it is about.
type HookIdea struct {
	ID     int64  `json:"id"`
	Title  string `json:"title"`
	Slug   string `json:"slug"`
	Board  string `json:"board"`
	Status string `json:"status"`
	Votes  int    `json:"votes"`
}

// queueWebhooks enqueues, in the change's transaction, one delivery of the
// message to each live endpoint that asked for its type. Ideas on private
// boards and hidden ideas never leave the portal this way.
func queueWebhooks(ctx context.Context, tx bun.IDB, at time.Time, typ, messageID string, ideaID int64, extra map[string]any) error {
	var hooks []Webhook
	if err := tx.NewSelect().Model(&hooks).Column("id", "events").Where("disabled_at IS NULL").Scan(ctx); err != nil {
		return fmt.Errorf("find webhooks: %w", err)
	}
	hooks = slices.DeleteFunc(hooks, func(w Webhook) bool { return !w.Wants(typ) })
	if len(hooks) == 0 {
		return nil
	}
	var (
		row     HookIdea
		private bool
		hidden  *time.Time
	)
	err := tx.NewSelect().TableExpr("ideas AS i").
		Join("JOIN boards AS b ON b.id = i.board_id").Join("JOIN statuses AS s ON s.id = i.status_id").
		ColumnExpr("i.id, i.title, i.slug, b.slug AS board, s.slug AS status, i.votes_count AS votes, b.is_private, i.hidden_at").
		Where("i.id = ?", ideaID).Scan(ctx, &row.ID, &row.Title, &row.Slug, &row.Board, &row.Status, &row.Votes, &private, &hidden)
	if err != nil {
		return fmt.Errorf("webhook idea: %w", err)
	}
	if private || hidden != nil {
		return nil
	}
	data := map[string]any{"idea": row}
	for k, v := range extra {
		data[k] = v
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encode webhook data: %w", err)
	}
	jobs := make([]NewJob, len(hooks))
	for i, w := range hooks {
		jobs[i] = NewJob{
			Kind: JobWebhook, Key: "webhook:" + strconv.FormatInt(w.ID, 10) + ":" + messageID,
			Args:        WebhookArgs{WebhookID: w.ID, MessageID: messageID, Type: typ, At: at, Data: raw},
			MaxAttempts: hookDeliveryAttempts,
		}
	}
	_, err = enqueue(ctx, tx, at, jobs...)
	return err
}

// eventHookData is what a webhook message adds to the idea for an event.
func eventHookData(kind string, payload any) map[string]any {
	switch p := payload.(type) {
	case StatusChange:
		return map[string]any{"from": p.From, "to": p.To, "response": p.Response}
	case CommentPayload:
		return map[string]any{"comment": map[string]any{"id": p.CommentID, "body_html": p.BodyHTML}}
	case MergePayload:
		return map[string]any{"merged_into": map[string]any{"id": p.IdeaID, "title": p.Title}, "votes_moved": p.VotesMoved}
	}
	return nil
}
