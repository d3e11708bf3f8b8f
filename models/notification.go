package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Notifications close the loop with the people who spoke. An event that
// concerns an idea's followers (a status change or public response, a
// comment, a merge) enqueues a fan-out job in the transaction that records
// it; the fan-out records one notification per follower who may still see
// the idea (the actor aside) and enqueues one mail each for those who want
// it. Each mail is a job of its own, keyed by event and person, so it is
// sent once however often anything is retried.

// Job kinds of the delivery queue.
const (
	JobNotify     = "notify"      // fan an event out to its idea's followers
	JobMail       = "mail"        // mail one person about one event
	JobDigest     = "digest"      // fan a day's digest of new ideas out to staff
	JobDigestMail = "digest_mail" // mail one staff member a day's digest
	JobCleanup    = "cleanup"     // delete expired sessions, links and old jobs
)

// Notification is one thing a person has been told about.
type Notification struct {
	bun.BaseModel `bun:"table:notifications"`

	ID        int64      `bun:"id,pk,autoincrement"`
	UserID    int64      `bun:"user_id"`
	EventID   int64      `bun:"event_id"`
	IdeaID    *int64     `bun:"idea_id"`
	CreatedAt time.Time  `bun:"created_at"`
	ReadAt    *time.Time `bun:"read_at"`
}

// EventArgs are the arguments of a notify job.
type EventArgs struct {
	EventID int64 `json:"event_id"`
}

// MailArgs are the arguments of a mail job.
type MailArgs struct {
	EventID int64 `json:"event_id"`
	UserID  int64 `json:"user_id"`
}

// notifies reports whether an event of the kind concerns the idea's
// followers.
func notifies(kind string) bool {
	switch kind {
	case EventStatusChanged, EventCommented, EventMerged, EventIdeaApproved:
		return true
	}
	return false
}

// mailWanted is the SQL condition on users (as u) that they want mail
// about events of the kind.
func mailWanted(kind string) string {
	if kind == EventCommented {
		return "u.notify_comments"
	}
	return "u.notify_status"
}

// NotifyFollowers fans one event out: a notification for every follower of
// its idea who may see the idea (the actor aside, blocked people aside), and
// a mail job for each of those who want mail of that kind, all in one
// transaction. Running it twice changes nothing. It returns how many people
// were newly notified.
func NotifyFollowers(ctx context.Context, db *DB, eventID int64) (int, error) {
	var notified int
	err := db.inTx(ctx, func(tx bun.Tx) error {
		ev := new(Event)
		if err := tx.NewSelect().Model(ev).Where("id = ?", eventID).Scan(ctx); err != nil {
			return fmt.Errorf("event %d: %w", eventID, mapErr(err))
		}
		if !notifies(ev.Kind) || ev.IdeaID == nil {
			return nil
		}
		// Followers hear about the idea the event leads to: a merge leads
		// to the original, where the conversation continues.
		target := *ev.IdeaID
		if ev.Kind == EventMerged {
			var mp MergePayload
			if err := ev.Decode(&mp); err != nil {
				return fmt.Errorf("event %d payload: %w", ev.ID, err)
			}
			target = mp.IdeaID
		}
		staffOnly, err := staffOnlyIdea(ctx, tx, target)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		// The followers to tell, chosen and written by the database itself:
		// two statements, whatever the number of followers.
		followers := tx.NewSelect().TableExpr("subscriptions AS s").
			Join("JOIN users AS u ON u.id = s.user_id").
			ColumnExpr("u.id").
			ColumnExpr(mailWanted(ev.Kind)+" AND u.email IS NOT NULL AND u.email_verified AS wants_mail").
			Where("s.idea_id = ?", *ev.IdeaID).
			Where("s.unfollowed_at IS NULL").
			Where("u.blocked_at IS NULL")
		if ev.ActorID != nil {
			followers = followers.Where("u.id <> ?", *ev.ActorID)
		}
		if staffOnly {
			followers = followers.Where("u.role IN (?)", bun.List([]string{RoleStaff, RoleAdmin}))
		}
		now := db.Now()
		// "WHERE true" keeps SQLite from reading ON CONFLICT as a join's ON.
		res, err := tx.NewRaw(`INSERT INTO notifications (user_id, event_id, idea_id, created_at)
			SELECT f.id, ?, ?, ? FROM (?) AS f WHERE true
			ON CONFLICT (user_id, event_id) DO NOTHING`, ev.ID, target, now, followers).Exec(ctx)
		if err != nil {
			return fmt.Errorf("record notifications: %w", err)
		}
		n, _ := res.RowsAffected()
		// Each mail's key names the event and the person, so it is stored
		// once however often this runs.
		_, err = tx.NewRaw(`INSERT INTO jobs (kind, key, args, state, attempts, max_attempts, run_at, last_error, created_at)
			SELECT ?, 'mail:' || ? || ':' || f.id, '{"event_id":' || ? || ',"user_id":' || f.id || '}', ?, 0, ?, ?, '', ?
			FROM (?) AS f WHERE f.wants_mail
			ON CONFLICT (key) DO NOTHING`,
			JobMail, ev.ID, ev.ID, JobReady, DefaultMaxAttempts, now, now, followers).Exec(ctx)
		if err != nil {
			return fmt.Errorf("enqueue mail: %w", err)
		}
		notified = int(n)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("notify followers of event %d: %w", eventID, err)
	}
	return notified, nil
}

// staffOnlyIdea reports whether only staff may see the idea (it is hidden,
// or on a private board); ErrNotFound when it is gone.
func staffOnlyIdea(ctx context.Context, tx bun.IDB, ideaID int64) (bool, error) {
	var row struct {
		Hidden  bool `bun:"hidden"`
		Private bool `bun:"private"`
	}
	err := tx.NewSelect().TableExpr("ideas AS i").
		Join("JOIN boards AS b ON b.id = i.board_id").
		ColumnExpr("i.hidden_at IS NOT NULL AS hidden").
		ColumnExpr("b.is_private AS private").
		Where("i.id = ?", ideaID).Scan(ctx, &row)
	if err != nil {
		return false, fmt.Errorf("idea %d: %w", ideaID, mapErr(err))
	}
	return row.Hidden || row.Private, nil
}

// Mailing is what one mail about one event says to one person.
type Mailing struct {
	Event     Event
	Recipient *User
	Idea      *Idea  // the idea the mail is about (a merge's original)
	Actor     string // who acted, by name
	Change    *StatusChange
	Comment   *Comment
	Merged    *Idea // the duplicate, for a merge
}

// MailFor gathers what a mail about the event tells the person, checking
// again that they should still get it: they exist, are not blocked, still
// follow the idea, may see it and want mail of that kind. ErrNotFound means
// there is nothing to send any more.
func MailFor(ctx context.Context, db *DB, eventID, userID int64) (*Mailing, error) {
	m := &Mailing{}
	if err := db.bun.NewSelect().Model(&m.Event).Relation("Actor").Where("event.id = ?", eventID).Scan(ctx); err != nil {
		return nil, fmt.Errorf("mail for event %d: %w", eventID, mapErr(err))
	}
	if m.Event.IdeaID == nil || !notifies(m.Event.Kind) {
		return nil, fmt.Errorf("mail for event %d: %w", eventID, ErrNotFound)
	}
	user, err := UserByID(ctx, db, userID)
	if err != nil {
		return nil, err
	}
	if user.BlockedAt != nil || !user.Mailable() || !user.WantsMailAbout(m.Event.Kind) {
		return nil, fmt.Errorf("mail to user %d: %w", userID, ErrNotFound)
	}
	m.Recipient = user
	following, err := IsSubscribed(ctx, db, *m.Event.IdeaID, userID)
	if err != nil {
		return nil, err
	}
	if !following {
		return nil, fmt.Errorf("mail to user %d: no longer following: %w", userID, ErrNotFound)
	}
	if m.Event.Actor != nil {
		m.Actor = m.Event.Actor.Name
	}
	target := *m.Event.IdeaID
	switch m.Event.Kind {
	case EventStatusChanged:
		m.Change = new(StatusChange)
		if err := m.Event.Decode(m.Change); err != nil {
			return nil, err
		}
	case EventCommented:
		var cp CommentPayload
		if err := m.Event.Decode(&cp); err != nil {
			return nil, err
		}
		m.Comment = new(Comment)
		if err := db.bun.NewSelect().Model(m.Comment).Where("id = ?", cp.CommentID).Scan(ctx); err != nil {
			return nil, fmt.Errorf("comment %d: %w", cp.CommentID, mapErr(err))
		}
		if m.Comment.HiddenAt != nil {
			return nil, fmt.Errorf("comment %d is hidden: %w", cp.CommentID, ErrNotFound)
		}
	case EventMerged:
		var mp MergePayload
		if err := m.Event.Decode(&mp); err != nil {
			return nil, err
		}
		if m.Merged, err = IdeaByID(ctx, db, target, user); err != nil {
			return nil, err
		}
		target = mp.IdeaID
	}
	if m.Idea, err = IdeaByID(ctx, db, target, user); err != nil {
		return nil, err
	}
	return m, nil
}

// NotificationItem is one notification as its list shows it.
type NotificationItem struct {
	ID        int64      `bun:"id"`
	Kind      string     `bun:"kind"`
	Payload   string     `bun:"payload"`
	IdeaID    int64      `bun:"idea_id"`
	IdeaTitle string     `bun:"idea_title"`
	IdeaSlug  string     `bun:"idea_slug"`
	Actor     string     `bun:"actor"`
	CreatedAt time.Time  `bun:"created_at"`
	ReadAt    *time.Time `bun:"read_at"`
}

// NotificationPage is one page of a person's notifications.
type NotificationPage struct {
	Items []NotificationItem
	Next  int64 // the id to pass as `after` for the following page; 0 on the last
}

// Notifications lists the person's notifications, newest first, a page at a
// time (after: the previous page's Next). Notifications about ideas they can
// no longer see are left out.
func Notifications(ctx context.Context, db *DB, user *User, after int64, limit int) (NotificationPage, error) {
	if limit <= 0 || limit > 100 {
		limit = 30
	}
	var items []NotificationItem
	q := db.bun.NewSelect().TableExpr("notifications AS n").
		Join("JOIN events AS e ON e.id = n.event_id").
		Join("JOIN ideas AS i ON i.id = n.idea_id").
		Join("JOIN boards AS b ON b.id = i.board_id").
		Join("LEFT JOIN users AS a ON a.id = e.actor_id").
		ColumnExpr("n.id, e.kind, e.payload, i.id AS idea_id, i.title AS idea_title, i.slug AS idea_slug").
		ColumnExpr("COALESCE(a.name, '') AS actor, n.created_at, n.read_at").
		Where("n.user_id = ?", user.ID).
		OrderExpr("n.id DESC").Limit(int64(limit + 1))
	if after > 0 {
		q = q.Where("n.id < ?", after)
	}
	if !user.IsStaff() {
		q = q.Where("i.hidden_at IS NULL").Where("NOT b.is_private")
	}
	if err := q.Scan(ctx, &items); err != nil {
		return NotificationPage{}, fmt.Errorf("notifications: %w", mapErr(err))
	}
	page := NotificationPage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		page.Next = page.Items[limit-1].ID
	}
	return page, nil
}

// UnreadCap bounds the unread count a page shows ("99+"), so counting
// costs the same however much is unread.
const UnreadCap = 100

// UnreadCount counts the person's unread notifications, up to UnreadCap.
func UnreadCount(ctx context.Context, db *DB, userID int64) (int, error) {
	var n int
	err := db.bun.NewSelect().TableExpr("(?) AS unread",
		db.bun.NewSelect().Table("notifications").ColumnExpr("1").
			Where("user_id = ?", userID).Where("read_at IS NULL").Limit(UnreadCap)).
		ColumnExpr("count(*)").Scan(ctx, &n)
	if err != nil {
		return 0, fmt.Errorf("unread notifications: %w", mapErr(err))
	}
	return n, nil
}

// MarkAllRead marks every notification of the person read.
func MarkAllRead(ctx context.Context, db *DB, userID int64) error {
	_, err := db.bun.NewUpdate().Model((*Notification)(nil)).
		Set("read_at = ?", db.Now()).
		Where("user_id = ?", userID).Where("read_at IS NULL").Exec(ctx)
	if err != nil {
		return fmt.Errorf("mark notifications read: %w", mapErr(err))
	}
	return nil
}

// FollowedIdeas lists the ideas the person follows and may see, most
// recently followed first, at most limit.
func FollowedIdeas(ctx context.Context, db *DB, user *User, limit int) ([]Idea, error) {
	var ideas []Idea
	q := db.bun.NewSelect().Model(&ideas).
		Column("idea.id", "idea.title", "idea.slug", "idea.status_id", "idea.votes_count").
		Join("JOIN subscriptions AS s ON s.idea_id = idea.id").
		Join("JOIN boards AS b ON b.id = idea.board_id").
		Where("s.user_id = ?", user.ID).Where("s.unfollowed_at IS NULL").
		Where("idea.merged_into_id IS NULL").
		OrderExpr("s.created_at DESC, idea.id DESC").Limit(int64(limit))
	if !user.IsStaff() {
		q = q.Where("idea.hidden_at IS NULL").Where("NOT b.is_private")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("followed ideas: %w", mapErr(err))
	}
	return ideas, nil
}

// UserEmails maps the ids to the people's addresses ("" for none), in one
// query.
func UserEmails(ctx context.Context, db *DB, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var users []User
	if err := db.bun.NewSelect().Model(&users).Column("id", "email").Where("id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("user emails: %w", mapErr(err))
	}
	for i := range users {
		out[users[i].ID] = users[i].EmailAddress()
	}
	return out, nil
}
