package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Vote is one person's support for one idea.
type Vote struct {
	bun.BaseModel `bun:"table:votes"`

	IdeaID     int64     `bun:"idea_id,pk"`
	UserID     int64     `bun:"user_id,pk"`
	CreatedAt  time.Time `bun:"created_at"`
	Importance string    `bun:"importance"` // "", "nice", "important" or "critical"
}

// Subscription is a user following an idea, or, once they unfollow it, the
// memory that they did (so that voting or commenting again does not make
// them follow it again).
type Subscription struct {
	bun.BaseModel `bun:"table:subscriptions"`

	IdeaID       int64      `bun:"idea_id,pk"`
	UserID       int64      `bun:"user_id,pk"`
	CreatedAt    time.Time  `bun:"created_at"`
	UnfollowedAt *time.Time `bun:"unfollowed_at"`
}

// VoteResult is where a user's vote stands after voting or unvoting.
type VoteResult struct {
	Voted bool `json:"voted"`
	Votes int  `json:"votes"`
}

// voteTarget is the part of an idea a vote reads and writes.
type voteTarget struct {
	VotesCount   int        `bun:"votes_count"`
	TrendScore   float64    `bun:"trend_score"`
	HiddenAt     *time.Time `bun:"hidden_at"`
	MergedIntoID *int64     `bun:"merged_into_id"`
	Category     string     `bun:"category"`
}

// lockVoteTarget reads the idea a vote is about and, on PostgreSQL, locks
// its row until the transaction ends, so that concurrent votes on one idea
// take turns over trend_score (SQLite's immediate transactions already
// serialize writers).
func lockVoteTarget(ctx context.Context, db *DB, tx bun.Tx, ideaID int64) (*voteTarget, error) {
	var t voteTarget
	q := tx.NewSelect().TableExpr("ideas AS i").
		Join("JOIN statuses AS s ON s.id = i.status_id").
		ColumnExpr("i.votes_count, i.trend_score, i.hidden_at, i.merged_into_id, s.category").
		Where("i.id = ?", ideaID)
	if db.pg {
		q = q.For("UPDATE OF i")
	}
	if err := q.Scan(ctx, &t); err != nil {
		return nil, mapErr(err)
	}
	if t.HiddenAt != nil {
		return nil, ErrNotFound
	}
	return &t, nil
}

// VoteFor records the user's vote for the idea. Voting twice is harmless: the
// vote row is unique, and the counter and trend score change, in the same
// transaction, only when a row was really inserted. A new vote follows the
// idea, unless the voter unfollowed it before. Ideas that are done,
// closed or merged refuse new votes with a RuleError.
func VoteFor(ctx context.Context, db *DB, ideaID, userID int64) (VoteResult, error) {
	return VoteWith(ctx, db, ideaID, userID, "")
}

// VoteWith is VoteFor with the importance the voter gives ("" for a plain
// vote). Voting again with another importance changes the vote's
// importance and never the count; a plain vote leaves it as it was. The
// idea's revenue at stake, critical count and weekly counts change in the
// same transaction (see weighVote). An unknown importance is a
// ValidationError on "importance".
func VoteWith(ctx context.Context, db *DB, ideaID, userID int64, importance string) (VoteResult, error) {
	if !ValidImportance(importance) {
		return VoteResult{}, &ValidationError{Fields: map[string]string{"importance": "Choose nice to have, important or critical."}}
	}
	var res VoteResult
	err := db.inTx(ctx, func(tx bun.Tx) error {
		t, err := lockVoteTarget(ctx, db, tx, ideaID)
		if err != nil {
			return err
		}
		if t.MergedIntoID != nil {
			return &RuleError{Msg: "This idea was merged into another one. Vote for that one instead."}
		}
		if t.Category == CategoryDone || t.Category == CategoryClosed {
			return &RuleError{Msg: "This idea is no longer taking votes."}
		}
		// Stored times keep microseconds on PostgreSQL; the trend score
		// adds exactly the weight Unvote will later take away.
		now := db.Now().Truncate(time.Microsecond)
		r, err := tx.NewInsert().Model(&Vote{IdeaID: ideaID, UserID: userID, CreatedAt: now, Importance: importance}).
			On("CONFLICT (idea_id, user_id) DO NOTHING").Exec(ctx)
		if err != nil {
			return fmt.Errorf("insert vote: %w", err)
		}
		res = VoteResult{Voted: true, Votes: t.VotesCount}
		if n, _ := r.RowsAffected(); n != 1 {
			if importance == "" {
				return nil
			}
			return changeImportance(ctx, tx, ideaID, userID, importance)
		}
		res.Votes++
		w, err := weighVote(ctx, tx, ideaID, userID, now, importance, 1)
		if err != nil {
			return err
		}
		_, err = tx.NewUpdate().Table("ideas").
			Set("votes_count = votes_count + 1").
			Set("revenue_cents = revenue_cents + ?", w.revenue).
			Set("critical_count = critical_count + ?", w.critical).
			Set("trend_score = ?", AddTrend(t.TrendScore, now)).
			Set("last_activity_at = ?", now).
			Where("id = ?", ideaID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("count vote: %w", err)
		}
		if db.hooksMaybeLive(ctx, tx) {
			// Votes write no event row; webhooks hear of them directly.
			// With no live endpoint this costs no query (a cached flag).
			msg := fmt.Sprintf("vote_%d_%d_%d", ideaID, userID, now.UnixMicro())
			if err := queueWebhooks(ctx, tx, now, HookVoteCreated, msg, ideaID,
				map[string]any{"user_id": userID, "votes": res.Votes}); err != nil {
				return err
			}
		}
		return subscribe(ctx, tx, ideaID, userID, now)
	})
	if err != nil {
		return VoteResult{}, fmt.Errorf("vote for idea %d: %w", ideaID, err)
	}
	return res, nil
}

// Unvote withdraws the user's vote. Withdrawing a vote that is not there is
// harmless; otherwise the counter drops by one and the vote's weight leaves
// the trend score, in the same transaction as the row.
func Unvote(ctx context.Context, db *DB, ideaID, userID int64) (VoteResult, error) {
	var res VoteResult
	err := db.inTx(ctx, func(tx bun.Tx) error {
		t, err := lockVoteTarget(ctx, db, tx, ideaID)
		if err != nil {
			return err
		}
		res = VoteResult{Votes: t.VotesCount}
		var cast []Vote
		err = tx.NewDelete().Model((*Vote)(nil)).
			Where("idea_id = ?", ideaID).Where("user_id = ?", userID).
			Returning("created_at, importance").Scan(ctx, &cast)
		if err != nil && !errors.Is(mapErr(err), ErrNotFound) {
			return fmt.Errorf("delete vote: %w", err)
		}
		if len(cast) != 1 {
			return nil
		}
		res.Votes--
		w, err := weighVote(ctx, tx, ideaID, userID, cast[0].CreatedAt, cast[0].Importance, -1)
		if err != nil {
			return err
		}
		_, err = tx.NewUpdate().Table("ideas").
			Set("votes_count = votes_count - 1").
			Set("revenue_cents = revenue_cents + ?", w.revenue).
			Set("critical_count = critical_count + ?", w.critical).
			Set("trend_score = ?", RemoveTrend(t.TrendScore, cast[0].CreatedAt, res.Votes)).
			Where("id = ?", ideaID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("uncount vote: %w", err)
		}
		return nil
	})
	if err != nil {
		return VoteResult{}, fmt.Errorf("unvote idea %d: %w", ideaID, err)
	}
	return res, nil
}

// changeImportance gives an existing vote another importance, keeping the
// idea's critical count exact; the vote count stays as it is.
func changeImportance(ctx context.Context, tx bun.Tx, ideaID, userID int64, importance string) error {
	var old string
	err := tx.NewSelect().Model((*Vote)(nil)).Column("importance").
		Where("idea_id = ?", ideaID).Where("user_id = ?", userID).Scan(ctx, &old)
	if err != nil {
		return fmt.Errorf("read importance: %w", mapErr(err))
	}
	if old == importance {
		return nil
	}
	_, err = tx.NewUpdate().Model((*Vote)(nil)).Set("importance = ?", importance).
		Where("idea_id = ?", ideaID).Where("user_id = ?", userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("change importance: %w", err)
	}
	delta := 0
	if old == ImportanceCritical {
		delta--
	}
	if importance == ImportanceCritical {
		delta++
	}
	if delta == 0 {
		return nil
	}
	_, err = tx.NewUpdate().Table("ideas").Set("critical_count = critical_count + ?", delta).
		Where("id = ?", ideaID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("count critical votes: %w", err)
	}
	return nil
}

// VoteImportance is the importance of the user's vote for the idea ("" for
// a plain vote or none).
func VoteImportance(ctx context.Context, db *DB, ideaID, userID int64) (string, error) {
	var imp []string
	err := db.bun.NewSelect().Model((*Vote)(nil)).Column("importance").
		Where("idea_id = ?", ideaID).Where("user_id = ?", userID).Scan(ctx, &imp)
	if err != nil {
		return "", fmt.Errorf("vote importance: %w", mapErr(err))
	}
	if len(imp) == 0 {
		return "", nil
	}
	return imp[0], nil
}

// HasVoted reports whether the user has voted for the idea.
func HasVoted(ctx context.Context, db *DB, ideaID, userID int64) (bool, error) {
	n, err := db.bun.NewSelect().Model((*Vote)(nil)).
		Where("idea_id = ?", ideaID).Where("user_id = ?", userID).Count(ctx)
	if err != nil {
		return false, fmt.Errorf("has voted: %w", mapErr(err))
	}
	return n > 0, nil
}

// VotedIdeaIDs returns which of the ideas the user has voted for: one query
// on the (user_id, idea_id) index, whatever the number of votes.
func VotedIdeaIDs(ctx context.Context, db *DB, userID int64, ideaIDs []int64) (map[int64]bool, error) {
	voted := make(map[int64]bool, len(ideaIDs))
	if len(ideaIDs) == 0 {
		return voted, nil
	}
	var ids []int64
	err := db.bun.NewSelect().Model((*Vote)(nil)).Column("idea_id").
		Where("user_id = ?", userID).Where("idea_id IN (?)", bun.List(ideaIDs)).Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("voted ideas: %w", mapErr(err))
	}
	for _, id := range ids {
		voted[id] = true
	}
	return voted, nil
}

// Subscribe makes the user follow the idea, even one they unfollowed
// before; following twice is harmless.
func Subscribe(ctx context.Context, db *DB, ideaID, userID int64) error {
	_, err := db.bun.NewInsert().Model(&Subscription{IdeaID: ideaID, UserID: userID, CreatedAt: db.Now()}).
		On("CONFLICT (idea_id, user_id) DO UPDATE").Set("unfollowed_at = NULL").Exec(ctx)
	if err != nil {
		return fmt.Errorf("subscribe to idea %d: %w", ideaID, mapErr(err))
	}
	return nil
}

// subscribe follows the idea on the user's behalf, because they posted,
// voted or commented, unless they unfollowed it before.
func subscribe(ctx context.Context, tx bun.IDB, ideaID, userID int64, now time.Time) error {
	_, err := tx.NewInsert().Model(&Subscription{IdeaID: ideaID, UserID: userID, CreatedAt: now}).
		On("CONFLICT (idea_id, user_id) DO NOTHING").Exec(ctx)
	if err != nil {
		return fmt.Errorf("insert subscription: %w", err)
	}
	return nil
}

// Unsubscribe stops the user following the idea, and remembers it: taking
// part again does not make them follow it again.
func Unsubscribe(ctx context.Context, db *DB, ideaID, userID int64) error {
	now := db.Now()
	_, err := db.bun.NewInsert().Model(&Subscription{IdeaID: ideaID, UserID: userID, CreatedAt: now, UnfollowedAt: &now}).
		On("CONFLICT (idea_id, user_id) DO UPDATE").Set("unfollowed_at = EXCLUDED.unfollowed_at").Exec(ctx)
	if err != nil {
		return fmt.Errorf("unsubscribe from idea %d: %w", ideaID, mapErr(err))
	}
	return nil
}

// IsSubscribed reports whether the user follows the idea.
func IsSubscribed(ctx context.Context, db *DB, ideaID, userID int64) (bool, error) {
	n, err := db.bun.NewSelect().Model((*Subscription)(nil)).
		Where("idea_id = ?", ideaID).Where("user_id = ?", userID).Where("unfollowed_at IS NULL").Count(ctx)
	if err != nil {
		return false, fmt.Errorf("is subscribed: %w", mapErr(err))
	}
	return n > 0, nil
}
