package models

import (
	"context"
	"fmt"
	"strings"
	"time"

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
	EventAPIKeyCreated   = "apikey.created"
	EventAPIKeyRevoked   = "apikey.revoked"
	EventWebhookCreated  = "webhook.created"
	EventWebhookDeleted  = "webhook.deleted"
	EventWebhookEnabled  = "webhook.enabled"
)

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
