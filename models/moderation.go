package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// Moderation states of an idea. A waiting or declined idea is also hidden,
// so every public surface leaves it out as it leaves out hidden ideas.
const (
	ModerationPending  = "pending"
	ModerationDeclined = "declined"
)

// Moderation and admin event kinds, besides those of event.go.
const (
	EventIdeaApproved    = "idea.approved"
	EventIdeaDeclined    = "idea.declined"
	EventReportResolved  = "report.resolved"  // the reported thing was hidden
	EventReportDismissed = "report.dismissed" // the reports were set aside
	EventRoleChanged     = "user.role_changed"
	EventUserBlocked     = "user.blocked"
	EventUserUnblocked   = "user.unblocked"
	EventSettingsChanged = "settings.changed"
	EventStatusCreated   = "status.created"
	EventStatusUpdated   = "status.updated"
	EventStatusMerged    = "status.merged"
	EventCommentApproved = "comment.approved"
	EventCommentDeclined = "comment.declined"
)

// AuditKinds are the events that are staff or admin actions: the audit log
// lists these. The migration that indexes them lists them in this order,
// and the query must name them exactly so for SQLite to use that index.
var AuditKinds = []string{
	EventStatusChanged, EventMerged, EventRoadmapMoved, EventIdeaHidden, EventIdeaShown,
	EventCommentHidden, EventIdeaApproved, EventIdeaDeclined, EventReportResolved, EventReportDismissed,
	EventRoleChanged, EventUserBlocked, EventUserUnblocked, EventBoardCreated, EventBoardUpdated,
	EventSettingsChanged, EventStatusCreated, EventStatusUpdated, EventStatusMerged,
	EventCommentApproved, EventCommentDeclined,
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

// ApprovalPolicy values: which new ideas wait for staff.
const (
	ApprovalNever = "never"
	ApprovalNew   = "new" // from accounts younger than a week or with no published idea
	ApprovalAll   = "all"
)

// NewAccountAge is how young an account is still "new" for approval.
const NewAccountAge = 7 * 24 * time.Hour

// mustWait decides inside tx whether the author's new idea waits for
// approval. Staff never wait.
func mustWait(ctx context.Context, tx bun.IDB, now time.Time, author *User) (bool, error) {
	if author.IsStaff() {
		return false, nil
	}
	policy, err := settingTx(ctx, tx, settingApproval)
	if err != nil {
		return false, err
	}
	switch policy {
	case ApprovalAll:
		return true, nil
	case ApprovalNew:
		if now.Sub(author.CreatedAt) < NewAccountAge {
			return true, nil
		}
		published, err := tx.NewSelect().Table("ideas").Where("author_id = ?", author.ID).
			Where("moderation = ''").Where("hidden_at IS NULL").Exists(ctx)
		if err != nil {
			return false, fmt.Errorf("published ideas of %d: %w", author.ID, err)
		}
		return !published, nil
	}
	return false, nil
}

// PendingIdeas lists the ideas waiting for approval, oldest first.
func PendingIdeas(ctx context.Context, db *DB, limit int) ([]Idea, error) {
	var ideas []Idea
	err := db.bun.NewSelect().Model(&ideas).Relation("Board").Relation("Status").Relation("Author").
		Where("idea.moderation = ?", ModerationPending).OrderExpr("idea.id ASC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("pending ideas: %w", mapErr(err))
	}
	return ideas, nil
}

// CountPending counts the ideas waiting for approval.
func CountPending(ctx context.Context, db *DB) (int, error) {
	n, err := db.bun.NewSelect().Table("ideas").Where("moderation = ?", ModerationPending).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count pending: %w", mapErr(err))
	}
	return int(n), nil
}

// ApproveIdea publishes a waiting (or declined) idea; DeclineIdea keeps it
// hidden for good. Each is an event; deciding twice changes nothing.
func ApproveIdea(ctx context.Context, db *DB, ideaID int64, staff *User) (*Idea, error) {
	return moderateIdea(ctx, db, ideaID, staff, true)
}

// DeclineIdea declines a waiting idea: it stays hidden from everyone but
// staff, its author included.
func DeclineIdea(ctx context.Context, db *DB, ideaID int64, staff *User) (*Idea, error) {
	return moderateIdea(ctx, db, ideaID, staff, false)
}

func moderateIdea(ctx context.Context, db *DB, ideaID int64, staff *User, approve bool) (*Idea, error) {
	if !staff.IsStaff() {
		return nil, fmt.Errorf("moderate idea %d: %w", ideaID, ErrForbidden)
	}
	var idea *Idea
	err := db.inTx(ctx, func(tx bun.Tx) error {
		var err error
		if idea, err = lockIdea(ctx, db, tx, ideaID); err != nil {
			return err
		}
		now := db.Now()
		switch {
		case idea.Moderation == "":
			return &RuleError{Msg: "This idea is not waiting for approval."}
		case approve:
			idea.Moderation, idea.HiddenAt = "", nil
			if _, err := tx.NewUpdate().Model(idea).WherePK().Set("moderation = ''").Set("hidden_at = NULL").
				Set("last_activity_at = ?", now).Exec(ctx); err != nil {
				return err
			}
			return recordEvent(ctx, tx, now, EventIdeaApproved, idea, staff.ID, struct{}{})
		case idea.Moderation == ModerationDeclined:
			return nil
		default:
			idea.Moderation = ModerationDeclined
			if _, err := tx.NewUpdate().Model(idea).WherePK().Set("moderation = ?", ModerationDeclined).Exec(ctx); err != nil {
				return err
			}
			return recordEvent(ctx, tx, now, EventIdeaDeclined, idea, staff.ID, struct{}{})
		}
	})
	if err != nil {
		return nil, fmt.Errorf("moderate idea %d: %w", ideaID, err)
	}
	return idea, nil
}

// ReasonMaxRunes bounds a report's reason.
const ReasonMaxRunes = 500

// Report is one person's report of an idea or of a comment on it.
type Report struct {
	bun.BaseModel `bun:"table:reports"`

	ID         int64      `bun:"id,pk,autoincrement"`
	IdeaID     int64      `bun:"idea_id"`
	CommentID  int64      `bun:"comment_id"` // 0: the idea itself
	ReporterID int64      `bun:"reporter_id"`
	Reason     string     `bun:"reason"`
	CreatedAt  time.Time  `bun:"created_at"`
	ResolvedAt *time.Time `bun:"resolved_at"`
}

// ReportThing records the reporter's report of the idea (commentID 0) or of
// one of its comments. The thing must be one the reporter may see; a
// second report of the same thing by the same person changes nothing and
// answers false.
func ReportThing(ctx context.Context, db *DB, ideaID, commentID int64, reporter *User, reason string) (bool, error) {
	if !reporter.CanWrite() {
		return false, fmt.Errorf("report: %w", ErrForbidden)
	}
	reason = cleanLine(reason)
	if reason == "" {
		v := &ValidationError{}
		v.Add("reason", "Say briefly what is wrong with it.")
		return false, v
	}
	if utf8.RuneCountInString(reason) > ReasonMaxRunes {
		v := &ValidationError{}
		v.Add("reason", fmt.Sprintf("Keep the reason to %d characters or fewer.", ReasonMaxRunes))
		return false, v
	}
	if _, err := IdeaByID(ctx, db, ideaID, reporter); err != nil {
		return false, err
	}
	if commentID != 0 {
		c := new(Comment)
		err := db.bun.NewSelect().Model(c).Where("id = ?", commentID).Where("idea_id = ?", ideaID).Scan(ctx)
		if err != nil {
			return false, fmt.Errorf("comment %d: %w", commentID, mapErr(err))
		}
		if c.HiddenAt != nil && !reporter.IsStaff() {
			return false, fmt.Errorf("comment %d: %w", commentID, ErrNotFound)
		}
	}
	r, err := db.bun.NewInsert().Model(&Report{IdeaID: ideaID, CommentID: commentID, ReporterID: reporter.ID, Reason: reason, CreatedAt: db.Now()}).
		On("CONFLICT (reporter_id, idea_id, comment_id) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("report: %w", mapErr(err))
	}
	n, _ := r.RowsAffected()
	return n == 1, nil
}

// ReportedThing is an idea or comment with open reports, as the queue shows it.
type ReportedThing struct {
	IdeaID    int64     `bun:"idea_id"`
	CommentID int64     `bun:"comment_id"`
	Count     int       `bun:"n"`
	Latest    time.Time `bun:"latest"`
	Reasons   []string  `bun:"-"`
	Idea      *Idea     `bun:"-"`
	Comment   *Comment  `bun:"-"`
}

// OpenReports lists what has open reports, most reported first.
func OpenReports(ctx context.Context, db *DB, limit int) ([]ReportedThing, error) {
	var things []ReportedThing
	err := db.bun.NewSelect().Table("reports").Column("idea_id", "comment_id").
		ColumnExpr("count(*) AS n").ColumnExpr("max(created_at) AS latest").
		Where("resolved_at IS NULL").Group("idea_id", "comment_id").
		OrderExpr("n DESC, idea_id DESC, comment_id DESC").Limit(int64(limit)).Scan(ctx, &things)
	if err != nil {
		return nil, fmt.Errorf("open reports: %w", mapErr(err))
	}
	for i := range things {
		t := &things[i]
		t.Idea = new(Idea)
		if err := db.bun.NewSelect().Model(t.Idea).Relation("Author").Where("idea.id = ?", t.IdeaID).Scan(ctx); err != nil {
			return nil, fmt.Errorf("reported idea %d: %w", t.IdeaID, mapErr(err))
		}
		if t.CommentID != 0 {
			t.Comment = new(Comment)
			if err := db.bun.NewSelect().Model(t.Comment).Relation("Author").Where("comment.id = ?", t.CommentID).Scan(ctx); err != nil && !errors.Is(mapErr(err), ErrNotFound) {
				return nil, fmt.Errorf("reported comment %d: %w", t.CommentID, mapErr(err))
			}
		}
		if err := db.bun.NewSelect().Table("reports").Column("reason").Where("idea_id = ?", t.IdeaID).
			Where("comment_id = ?", t.CommentID).Where("resolved_at IS NULL").OrderExpr("id").Limit(5).
			Scan(ctx, &t.Reasons); err != nil {
			return nil, fmt.Errorf("report reasons: %w", mapErr(err))
		}
	}
	return things, nil
}

// ResolveReports closes the open reports of an idea (commentID 0) or a
// comment. With hide, the thing is hidden through the same path as staff
// hiding it by hand, in the same transaction; else the reports are
// dismissed. Either way an event records who decided.
func ResolveReports(ctx context.Context, db *DB, ideaID, commentID int64, staff *User, hide bool) (int, error) {
	if !staff.IsStaff() {
		return 0, fmt.Errorf("resolve reports: %w", ErrForbidden)
	}
	var n int64
	err := db.inTx(ctx, func(tx bun.Tx) error {
		now := db.Now()
		r, err := tx.NewUpdate().Table("reports").Set("resolved_at = ?", now).
			Where("idea_id = ?", ideaID).Where("comment_id = ?", commentID).Where("resolved_at IS NULL").Exec(ctx)
		if err != nil {
			return fmt.Errorf("close reports: %w", err)
		}
		if n, _ = r.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if hide {
			if commentID != 0 {
				err = hideCommentTx(ctx, tx, now, ideaID, commentID, staff)
			} else {
				err = hideIdeaTx(ctx, db, tx, now, ideaID, staff, true)
			}
			if err != nil {
				return err
			}
		}
		kind, what := EventReportDismissed, "Dismissed"
		if hide {
			kind, what = EventReportResolved, "Hidden"
		}
		target := fmt.Sprintf("Idea #%d", ideaID)
		if commentID != 0 {
			target = fmt.Sprintf("Comment #%d on idea #%d", commentID, ideaID)
		}
		return recordAudit(ctx, tx, now, kind, staff.ID, target, fmt.Sprintf("%s after %d %s", what, n, plural(int(n), "report", "reports")))
	})
	if err != nil {
		return 0, fmt.Errorf("resolve reports of idea %d: %w", ideaID, err)
	}
	return int(n), nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Setting keys of the site settings.
const (
	settingName           = "site_name"
	settingWelcome        = "site_welcome"
	settingAccent         = "site_accent_color"
	settingApproval       = "site_approval"
	settingPrivate        = "site_private"
	settingAllowedDomains = "site_allowed_domains"
	settingLogo           = "site_logo"
)

// settingTx reads one setting inside tx; a missing one is "".
func settingTx(ctx context.Context, tx bun.IDB, key string) (string, error) {
	var v []string
	if err := tx.NewSelect().Table("settings").Column("value").Where("key = ?", key).Scan(ctx, &v); err != nil {
		return "", fmt.Errorf("setting %s: %w", key, mapErr(err))
	}
	if len(v) == 0 {
		return "", nil
	}
	return v[0], nil
}

func putSetting(ctx context.Context, tx bun.IDB, key, value string) error {
	_, err := tx.NewRaw("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", key, value).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store setting %s: %w", key, mapErr(err))
	}
	return nil
}

// joinComma is the stored form of a list.
func joinComma(xs []string) string { return strings.Join(xs, ",") }

// PendingComments lists the comments waiting for approval, oldest first,
// with their authors and ideas.
func PendingComments(ctx context.Context, db *DB, limit int) ([]Comment, map[int64]*Idea, error) {
	var cs []Comment
	if err := db.bun.NewSelect().Model(&cs).Relation("Author").
		Where("comment.moderation = ?", ModerationPending).OrderExpr("comment.id ASC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, nil, fmt.Errorf("pending comments: %w", mapErr(err))
	}
	ideas := map[int64]*Idea{}
	for _, c := range cs {
		if ideas[c.IdeaID] != nil {
			continue
		}
		idea := new(Idea)
		if err := db.bun.NewSelect().Model(idea).Column("id", "title", "slug").Where("id = ?", c.IdeaID).Scan(ctx); err != nil {
			return nil, nil, fmt.Errorf("idea of comment %d: %w", c.ID, mapErr(err))
		}
		ideas[c.IdeaID] = idea
	}
	return cs, ideas, nil
}

// ApproveComment shows and counts a waiting comment and records it as
// posted now, so that the idea's followers hear of it; DeclineComment keeps
// it hidden for good. Each decision is an event.
func ApproveComment(ctx context.Context, db *DB, ideaID, commentID int64, staff *User) error {
	return moderateComment(ctx, db, ideaID, commentID, staff, true)
}

// DeclineComment declines a waiting comment.
func DeclineComment(ctx context.Context, db *DB, ideaID, commentID int64, staff *User) error {
	return moderateComment(ctx, db, ideaID, commentID, staff, false)
}

func moderateComment(ctx context.Context, db *DB, ideaID, commentID int64, staff *User, approve bool) error {
	if !staff.IsStaff() {
		return fmt.Errorf("moderate comment %d: %w", commentID, ErrForbidden)
	}
	err := db.inTx(ctx, func(tx bun.Tx) error {
		c, idea, err := commentOf(ctx, tx, ideaID, commentID)
		if err != nil {
			return err
		}
		if c.Moderation != ModerationPending {
			return &RuleError{Msg: "This comment is not waiting for approval."}
		}
		now := db.Now()
		if !approve {
			if _, err := tx.NewUpdate().Model(c).WherePK().Set("moderation = ?", ModerationDeclined).Exec(ctx); err != nil {
				return err
			}
			return recordEvent(ctx, tx, now, EventCommentDeclined, idea, staff.ID, CommentPayload{CommentID: c.ID})
		}
		r, err := tx.NewUpdate().Model(c).WherePK().Set("moderation = ''").Set("hidden_at = NULL").
			Where("moderation = ?", ModerationPending).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n != 1 {
			return nil
		}
		if _, err := tx.NewUpdate().Table("ideas").
			Set("comments_count = comments_count + 1").Set("last_activity_at = ?", now).
			Where("id = ?", ideaID).Exec(ctx); err != nil {
			return fmt.Errorf("count comment: %w", err)
		}
		if err := recordEvent(ctx, tx, now, EventCommentApproved, idea, staff.ID, CommentPayload{CommentID: c.ID}); err != nil {
			return err
		}
		// The comment's own event, by its author, as if posted now.
		return recordEvent(ctx, tx, now, EventCommented, idea, c.AuthorID, CommentPayload{CommentID: c.ID, BodyHTML: c.BodyHTML})
	})
	if err != nil {
		return fmt.Errorf("moderate comment %d: %w", commentID, err)
	}
	return nil
}
