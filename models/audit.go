package models

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// The audit log: every staff and admin action, read from events.

// AuditKinds are the events that are staff or admin actions: the audit log
// lists these. The migration that indexes them lists them in this order,
// and the query must name them exactly so for SQLite to use that index.
var AuditKinds = []string{
	EventStatusChanged, EventMerged, EventRoadmapMoved, EventIdeaHidden, EventIdeaShown,
	EventCommentHidden, EventIdeaApproved, EventIdeaDeclined, EventReportResolved, EventReportDismissed,
	EventRoleChanged, EventUserBlocked, EventUserUnblocked, EventBoardCreated, EventBoardUpdated,
	EventSettingsChanged, EventStatusCreated, EventStatusUpdated, EventStatusMerged,
	EventCommentApproved, EventCommentDeclined, EventAPIKeyCreated, EventAPIKeyRevoked,
	EventWebhookCreated, EventWebhookDeleted, EventWebhookEnabled,
}

// AuditPayload is the payload of the admin events that concern no idea:
// what they were done to, and what changed, in words.
type AuditPayload struct {
	Target  string `json:"target"`
	Summary string `json:"summary"`
}

// recordAudit writes an admin event about no idea inside tx.
func recordAudit(ctx context.Context, tx bun.IDB, at time.Time, kind string, actorID int64, target, summary string) error {
	return recordEvent(ctx, tx, at, kind, nil, actorID, AuditPayload{Target: target, Summary: summary})
}

type actorKey struct{}

// ActingAs marks the context as carrying out an admin's request, so that the
// changes made under it name the admin in the audit log.
func ActingAs(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, actorKey{}, u)
}

// actorOf is the admin ActingAs named, or 0 for the command line.
func actorOf(ctx context.Context) int64 {
	if u, ok := ctx.Value(actorKey{}).(*User); ok && u != nil {
		return u.ID
	}
	return 0
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	Event
	Target  string
	Summary string
}

// AuditQuery filters and pages the audit log.
type AuditQuery struct {
	ActorID int64  // 0 for everyone
	Kind    string // "" for every kind
	Before  int64  // keyset: entries older than this event id
	Limit   int
}

// AuditLog lists staff and admin actions, newest first, and the id to pass
// as Before for the next page (0 when there is none).
func AuditLog(ctx context.Context, db *DB, q AuditQuery) ([]AuditEntry, int64, error) {
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 50
	}
	kinds := AuditKinds
	if q.Kind != "" {
		found := false
		for _, k := range AuditKinds {
			found = found || k == q.Kind
		}
		if !found {
			return nil, 0, nil
		}
	}
	var evs []Event
	sel := db.bun.NewSelect().Model(&evs).Relation("Actor").Relation("Idea").
		Where("event.kind IN (?)", bun.List(kinds))
	if !db.pg {
		// SQLite's planner, counting the few rows of each kind, would look
		// each kind up and sort them all; the partial indexes of staff
		// actions are one descent however long the log grows.
		index := "events_audit_idx"
		switch {
		case q.Kind != "":
			index = "events_kind_idx"
		case q.ActorID != 0:
			index = "events_actor_audit_idx"
		}
		sel = sel.ModelTableExpr("events AS event INDEXED BY " + index)
	}
	if q.Kind != "" {
		sel = sel.Where("event.kind = ?", q.Kind)
	}
	if q.ActorID != 0 {
		sel = sel.Where("event.actor_id = ?", q.ActorID)
	}
	if q.Before > 0 {
		sel = sel.Where("event.id < ?", q.Before)
	}
	if err := sel.OrderExpr("event.id DESC").Limit(int64(q.Limit + 1)).Scan(ctx); err != nil {
		return nil, 0, fmt.Errorf("audit log: %w", mapErr(err))
	}
	var next int64
	if len(evs) > q.Limit {
		evs = evs[:q.Limit]
		next = evs[len(evs)-1].ID
	}
	out := make([]AuditEntry, len(evs))
	for i, e := range evs {
		out[i] = AuditEntry{Event: e}
		out[i].Target, out[i].Summary = describeAudit(&e)
	}
	return out, next, nil
}

// describeAudit says what an event was done to and what it did.
func describeAudit(e *Event) (target, summary string) {
	var p struct {
		AuditPayload
		StatusChange
		Into    int64  `json:"into_id"`
		Name    string `json:"name"`
		Slug    string `json:"slug"`
		Comment int64  `json:"comment_id"`
	}
	_ = json.Unmarshal([]byte(e.Payload), &p)
	if e.Idea != nil {
		target = fmt.Sprintf("Idea #%d “%s”", e.Idea.ID, e.Idea.Title)
	}
	switch e.Kind {
	case EventStatusChanged:
		summary = "Status " + p.From + " → " + p.To
	case EventMerged:
		summary = "Merged into another idea"
	case EventRoadmapMoved:
		summary = "Moved on the roadmap"
	case EventIdeaHidden:
		summary = "Hidden"
	case EventIdeaShown:
		summary = "Shown again"
	case EventCommentHidden:
		summary = fmt.Sprintf("Comment #%d hidden", p.Comment)
	case EventIdeaApproved:
		summary = "Approved"
	case EventIdeaDeclined:
		summary = "Declined"
	case EventCommentApproved:
		summary = fmt.Sprintf("Comment #%d approved", p.Comment)
	case EventCommentDeclined:
		summary = fmt.Sprintf("Comment #%d declined", p.Comment)
	case EventBoardCreated, EventBoardUpdated:
		target = "Board " + p.Slug
		summary = "Created"
		if e.Kind == EventBoardUpdated {
			summary = "Changed"
		}
	}
	if p.Target != "" {
		target = p.Target
	}
	if p.Summary != "" {
		summary = p.Summary
	}
	return target, summary
}
