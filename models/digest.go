package models

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/uptrace/bun"
)

// The daily digest: staff who ask for it get one mail each morning listing
// the ideas posted in the day before.

// DigestArgs are the arguments of a digest job: the day (midnight UTC) whose
// morning it is sent on; it covers the 24 hours before.
type DigestArgs struct {
	Day time.Time `json:"day"`
}

// DigestMailArgs are the arguments of one staff member's digest mail.
type DigestMailArgs struct {
	Day    time.Time `json:"day"`
	UserID int64     `json:"user_id"`
}

// DigestLimit bounds how many ideas one digest lists.
const DigestLimit = 50

// QueueDigest enqueues a digest mail for every staff member who asked for
// one, in one transaction; running it twice changes nothing. It returns how
// many were enqueued.
func QueueDigest(ctx context.Context, db *DB, day time.Time) (int, error) {
	var n int
	err := db.inTx(ctx, func(tx bun.Tx) error {
		var ids []int64
		err := tx.NewSelect().Model((*User)(nil)).Column("id").
			Where("role IN (?)", bun.List([]string{RoleStaff, RoleAdmin})).
			Where("notify_digest").Where("blocked_at IS NULL").
			Where("email IS NOT NULL").Where("email_verified").
			Order("id").Scan(ctx, &ids)
		if err != nil {
			return fmt.Errorf("digest recipients: %w", err)
		}
		jobs := make([]NewJob, len(ids))
		for i, id := range ids {
			jobs[i] = NewJob{
				Kind: JobDigestMail, Key: "digest:" + day.Format(time.DateOnly) + ":" + strconv.FormatInt(id, 10),
				Args: DigestMailArgs{Day: day, UserID: id},
			}
		}
		n, err = enqueueBatches(ctx, tx, db.Now(), jobs)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("queue digest of %s: %w", day.Format(time.DateOnly), err)
	}
	return n, nil
}

// Digest is one staff member's digest.
type Digest struct {
	Recipient *User
	Ideas     []Idea // newest first, at most DigestLimit
	More      bool   // more ideas were posted than are listed
}

// DigestFor gathers the ideas posted in the 24 hours before day for the
// person, checking again that they still want the digest. ErrNotFound means
// there is nothing to send: they no longer want it, or nothing was posted.
func DigestFor(ctx context.Context, db *DB, day time.Time, userID int64) (*Digest, error) {
	user, err := UserByID(ctx, db, userID)
	if err != nil {
		return nil, err
	}
	if !user.IsStaff() || !user.NotifyDigest || !user.Mailable() {
		return nil, fmt.Errorf("digest for user %d: %w", userID, ErrNotFound)
	}
	var ideas []Idea
	err = db.bun.NewSelect().Model(&ideas).
		Column("id", "title", "slug", "summary", "board_id", "created_at", "votes_count").
		Where("created_at >= ?", day.Add(-24*time.Hour)).Where("created_at < ?", day).
		Where("hidden_at IS NULL").Where("merged_into_id IS NULL").
		OrderExpr("created_at DESC, id DESC").Limit(DigestLimit + 1).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("digest ideas: %w", mapErr(err))
	}
	if len(ideas) == 0 {
		return nil, fmt.Errorf("digest for user %d: no new ideas: %w", userID, ErrNotFound)
	}
	d := &Digest{Recipient: user, Ideas: ideas}
	if len(ideas) > DigestLimit {
		d.Ideas, d.More = ideas[:DigestLimit], true
	}
	return d, nil
}

// NotifyPrefs are the mails a person chooses to get.
type NotifyPrefs struct {
	Status   bool // status changes and public responses
	Comments bool // new comments
	Digest   bool // the daily digest of new ideas (staff only)
}

// SetNotifyPrefs stores the person's choice of mails. Only staff may take
// the digest.
func SetNotifyPrefs(ctx context.Context, db *DB, u *User, p NotifyPrefs) error {
	p.Digest = p.Digest && u.IsStaff()
	_, err := db.bun.NewUpdate().Model(u).WherePK().
		Set("notify_status = ?", p.Status).
		Set("notify_comments = ?", p.Comments).
		Set("notify_digest = ?", p.Digest).Exec(ctx)
	if err != nil {
		return fmt.Errorf("save mail preferences of user %d: %w", u.ID, mapErr(err))
	}
	u.NotifyStatus, u.NotifyComments, u.NotifyDigest = p.Status, p.Comments, p.Digest
	return nil
}

// StopDigest turns the person's digest off (from the digest's one-click
// unsubscribe).
func StopDigest(ctx context.Context, db *DB, userID int64) error {
	_, err := db.bun.NewUpdate().Model((*User)(nil)).Set("notify_digest = FALSE").Where("id = ?", userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("stop digest of user %d: %w", userID, mapErr(err))
	}
	return nil
}
