package models

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// Reports: members flag an idea or a comment, and staff resolve what
// they flagged, hiding it or not.

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
