package models

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/cluetrain/cluetrain/app/markdown"
)

// Comment is a reply under an idea.
type Comment struct {
	bun.BaseModel `bun:"table:comments"`

	ID       int64      `bun:"id,pk,autoincrement"`
	IdeaID   int64      `bun:"idea_id"`
	AuthorID int64      `bun:"author_id"`
	Body     string     `bun:"body"`
	BodyHTML string     `bun:"body_html"`
	IsStaff  bool       `bun:"is_staff"`
	HiddenAt *time.Time `bun:"hidden_at"`
	// Moderation is "", ModerationPending or ModerationDeclined; a waiting
	// or declined comment is also hidden and not counted.
	Moderation string    `bun:"moderation"`
	CreatedAt  time.Time `bun:"created_at"`
	UpdatedAt  time.Time `bun:"updated_at"`

	Author *User `bun:"rel:belongs-to,join:author_id=id"`
}

// CommentMaxRunes bounds a comment's length.
const CommentMaxRunes = 5000

// CommentEditWindow is how long after writing a comment its author may
// still edit it.
const CommentEditWindow = 15 * time.Minute

// Edited reports whether the comment was changed after it was posted.
func (c *Comment) Edited() bool { return c.UpdatedAt.After(c.CreatedAt) }

// EditableBy reports whether u may edit the comment at now.
func (c *Comment) EditableBy(u *User, now time.Time) bool {
	return u.CanWrite() && u.ID == c.AuthorID && c.HiddenAt == nil && now.Sub(c.CreatedAt) < CommentEditWindow
}

// NewComment is what a user submits to comment on an idea.
type NewComment struct {
	IdeaID int64
	Author *User
	Body   string
}

func validCommentBody(body string) (string, error) {
	body = cleanText(body)
	ve := &ValidationError{}
	switch l := utf8.RuneCountInString(body); {
	case l == 0:
		ve.Add("body", "Write something first.")
	case l > CommentMaxRunes:
		ve.Add("body", fmt.Sprintf("Keep comments to %d characters or fewer (this one has %d).", CommentMaxRunes, l))
	}
	return body, ve.Err()
}

// CreateComment stores a comment, counts it on the idea, records the event
// and subscribes the commenter, in one transaction. Staff comments are
// badged as such.
func CreateComment(ctx context.Context, db *DB, n NewComment) (*Comment, error) {
	if !n.Author.CanWrite() {
		return nil, fmt.Errorf("comment: %w", ErrForbidden)
	}
	body, err := validCommentBody(n.Body)
	if err != nil {
		return nil, err
	}
	var c *Comment
	err = db.inTx(ctx, func(tx bun.Tx) error {
		idea := new(Idea)
		if err := tx.NewSelect().Model(idea).Column("id", "board_id", "hidden_at").
			Where("id = ?", n.IdeaID).Scan(ctx); err != nil {
			return mapErr(err)
		}
		if idea.HiddenAt != nil {
			return ErrNotFound
		}
		now := db.Now()
		c = &Comment{
			IdeaID: n.IdeaID, AuthorID: n.Author.ID, Body: body, BodyHTML: markdown.Render(body),
			IsStaff: n.Author.IsStaff(), CreatedAt: now, UpdatedAt: now, Author: n.Author,
		}
		wait, err := mustWait(ctx, tx, now, n.Author)
		if err != nil {
			return err
		}
		if wait {
			// Stored hidden and uncounted, with no event yet: nobody hears
			// of it until staff approve it (see ApproveComment). Its
			// author follows the idea already.
			c.HiddenAt, c.Moderation = &now, ModerationPending
			if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
				return fmt.Errorf("insert comment: %w", err)
			}
			return subscribe(ctx, tx, n.IdeaID, n.Author.ID, now)
		}
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return fmt.Errorf("insert comment: %w", err)
		}
		if _, err := tx.NewUpdate().Table("ideas").
			Set("comments_count = comments_count + 1").Set("last_activity_at = ?", now).
			Where("id = ?", n.IdeaID).Exec(ctx); err != nil {
			return fmt.Errorf("count comment: %w", err)
		}
		if err := recordEvent(ctx, tx, now, EventCommented, idea, n.Author.ID,
			CommentPayload{CommentID: c.ID, BodyHTML: c.BodyHTML}); err != nil {
			return err
		}
		return subscribe(ctx, tx, n.IdeaID, n.Author.ID, now)
	})
	if err != nil {
		return nil, fmt.Errorf("comment on idea %d: %w", n.IdeaID, err)
	}
	return c, nil
}

// commentOf loads a comment of the idea inside tx.
func commentOf(ctx context.Context, tx bun.IDB, ideaID, commentID int64) (*Comment, *Idea, error) {
	c := new(Comment)
	if err := tx.NewSelect().Model(c).Where("id = ?", commentID).Where("idea_id = ?", ideaID).Scan(ctx); err != nil {
		return nil, nil, mapErr(err)
	}
	idea := new(Idea)
	if err := tx.NewSelect().Model(idea).Column("id", "board_id").Where("id = ?", ideaID).Scan(ctx); err != nil {
		return nil, nil, mapErr(err)
	}
	return c, idea, nil
}

// EditComment replaces a comment's text. Only its author may, and only
// within CommentEditWindow of posting it; the change is recorded as an
// event so that feeds and caches see it.
func EditComment(ctx context.Context, db *DB, ideaID, commentID int64, editor *User, body string) (*Comment, error) {
	body, err := validCommentBody(body)
	if err != nil {
		return nil, err
	}
	var c *Comment
	err = db.inTx(ctx, func(tx bun.Tx) error {
		var idea *Idea
		c, idea, err = commentOf(ctx, tx, ideaID, commentID)
		if err != nil {
			return err
		}
		now := db.Now()
		if c.HiddenAt != nil && !editor.IsStaff() {
			return ErrNotFound
		}
		if editor == nil || editor.ID != c.AuthorID || !editor.CanWrite() {
			return ErrForbidden
		}
		if !c.EditableBy(editor, now) {
			return &RuleError{Msg: fmt.Sprintf("Comments can be edited for %d minutes after posting.", int(CommentEditWindow.Minutes()))}
		}
		c.Body, c.BodyHTML, c.UpdatedAt = body, markdown.Render(body), now
		if _, err := tx.NewUpdate().Model(c).Column("body", "body_html", "updated_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("update comment: %w", err)
		}
		return recordEvent(ctx, tx, now, EventCommentEdited, idea, editor.ID,
			CommentPayload{CommentID: c.ID, BodyHTML: c.BodyHTML})
	})
	if err != nil {
		return nil, fmt.Errorf("edit comment %d: %w", commentID, err)
	}
	return c, nil
}

// HideComment hides a comment from everyone but staff. Only staff may; the
// idea's comment count drops in the same transaction, and an event records
// the change. Hiding a hidden comment changes nothing.
func HideComment(ctx context.Context, db *DB, ideaID, commentID int64, staff *User) error {
	if !staff.IsStaff() {
		return fmt.Errorf("hide comment %d: %w", commentID, ErrForbidden)
	}
	err := db.inTx(ctx, func(tx bun.Tx) error {
		return hideCommentTx(ctx, tx, db.Now(), ideaID, commentID, staff)
	})
	if err != nil {
		return fmt.Errorf("hide comment %d: %w", commentID, err)
	}
	return nil
}

// IdeaComments lists an idea's comments, oldest first. Hidden comments are
// listed for staff only.
func IdeaComments(ctx context.Context, db *DB, ideaID int64, viewer *User) ([]Comment, error) {
	var cs []Comment
	q := db.bun.NewSelect().Model(&cs).Relation("Author").
		Where("comment.idea_id = ?", ideaID).OrderExpr("comment.id ASC")
	switch {
	case viewer == nil:
		q = q.Where("comment.hidden_at IS NULL")
	case !viewer.IsStaff():
		// Authors see their own comments while they wait.
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("comment.hidden_at IS NULL").
				WhereOr("comment.moderation = ? AND comment.author_id = ?", ModerationPending, viewer.ID)
		})
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("comments of idea %d: %w", ideaID, mapErr(err))
	}
	return cs, nil
}

// hideCommentTx is the body of HideComment, shared by the report queue.
func hideCommentTx(ctx context.Context, tx bun.Tx, now time.Time, ideaID, commentID int64, staff *User) error {
	c, idea, err := commentOf(ctx, tx, ideaID, commentID)
	if err != nil {
		return err
	}
	if c.HiddenAt != nil {
		return nil
	}
	r, err := tx.NewUpdate().Model((*Comment)(nil)).Set("hidden_at = ?", now).
		Where("id = ?", commentID).Where("hidden_at IS NULL").Exec(ctx)
	if err != nil {
		return fmt.Errorf("hide: %w", err)
	}
	if n, _ := r.RowsAffected(); n != 1 {
		return nil
	}
	if _, err := tx.NewUpdate().Table("ideas").Set("comments_count = comments_count - 1").
		Where("id = ?", ideaID).Exec(ctx); err != nil {
		return fmt.Errorf("uncount comment: %w", err)
	}
	return recordEvent(ctx, tx, now, EventCommentHidden, idea, staff.ID, CommentPayload{CommentID: commentID})
}
