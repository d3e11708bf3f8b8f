package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// MergePayload is the payload of EventMerged (on the duplicate, naming the
// original) and EventMergedInto (on the original, naming the duplicate).
type MergePayload struct {
	IdeaID     int64  `json:"idea_id"`
	Title      string `json:"title"`
	Slug       string `json:"slug"`
	VotesMoved int    `json:"votes_moved"`
}

// MergeIdea merges the duplicate into the original on behalf of a staff
// member, in one transaction: the duplicate's voters become the original's
// (anyone who voted on both counts once), its subscribers follow the
// original, its comments continue under the original, its status becomes
// duplicate and it points to the original, and
// both timelines record the merge. Ideas merged earlier into the duplicate
// are pointed at the original too, so every pointer is one hop. Merging an
// idea into itself, into a duplicate, or twice is refused, and so is a merge
// across a privacy boundary (see checkMergePrivacy). It returns the
// original.
func MergeIdea(ctx context.Context, db *DB, duplicateID, originalID int64, actor *User) (*Idea, error) {
	if !actor.IsStaff() {
		return nil, fmt.Errorf("merge idea %d: %w", duplicateID, ErrForbidden)
	}
	if originalID <= 0 {
		return nil, &ValidationError{Fields: map[string]string{"into": "Give the number or the link of the original idea."}}
	}
	if duplicateID == originalID {
		return nil, &ValidationError{Fields: map[string]string{"into": "An idea can't be merged into itself."}}
	}
	dupStatus, err := StatusBySlug(ctx, db, SlugDuplicate)
	if err != nil {
		return nil, err
	}
	err = db.inTx(ctx, func(tx bun.Tx) error {
		dup, err := lockIdea(ctx, db, tx, duplicateID)
		if err != nil {
			return err
		}
		orig, err := lockIdea(ctx, db, tx, originalID)
		if errors.Is(err, ErrNotFound) {
			return &ValidationError{Fields: map[string]string{"into": fmt.Sprintf("There is no idea #%d.", originalID)}}
		}
		if err != nil {
			return err
		}
		if err := checkMerge(dup, orig); err != nil {
			return err
		}
		if err := checkMergePrivacy(ctx, tx, dup, orig); err != nil {
			return err
		}
		return mergeTx(ctx, tx, db.Now(), dup, orig, dupStatus, actor)
	})
	if err != nil {
		return nil, fmt.Errorf("merge idea %d into %d: %w", duplicateID, originalID, err)
	}
	return IdeaByID(ctx, db, originalID, actor)
}

// checkMerge refuses merges that would leave a chain or a cycle behind.
func checkMerge(dup, orig *Idea) error {
	var ve ValidationError
	switch {
	case dup.MergedIntoID != nil:
		ve.Add("into", fmt.Sprintf("This idea was already merged into idea #%d.", *dup.MergedIntoID))
	case orig.MergedIntoID != nil && *orig.MergedIntoID == dup.ID:
		ve.Add("into", fmt.Sprintf("Idea #%d was merged into this one; merging back would make a cycle.", orig.ID))
	case orig.MergedIntoID != nil:
		ve.Add("into", fmt.Sprintf("Idea #%d is itself a duplicate of idea #%d; merge into that one instead.", orig.ID, *orig.MergedIntoID))
	case orig.HiddenAt != nil:
		ve.Add("into", fmt.Sprintf("Idea #%d is hidden; choose a visible original.", orig.ID))
	}
	return ve.Err()
}

// checkMergePrivacy refuses merges across a privacy boundary. A merge moves
// the whole discussion, staff notes included, and the voters and followers:
// from a private board into a public idea it would publish what only staff
// may read, and from a public idea into a private one it would leave its
// voters following an idea they cannot see. Merging within one board, or
// between public boards, is fine.
func checkMergePrivacy(ctx context.Context, tx bun.Tx, dup, orig *Idea) error {
	if dup.BoardID == orig.BoardID {
		return nil
	}
	var boards []Board
	if err := tx.NewSelect().Model(&boards).Where("id IN (?)", bun.List([]int64{dup.BoardID, orig.BoardID})).Scan(ctx); err != nil {
		return fmt.Errorf("boards of the merge: %w", mapErr(err))
	}
	private := map[int64]bool{}
	for _, b := range boards {
		private[b.ID] = b.IsPrivate
	}
	var ve ValidationError
	switch {
	case private[dup.BoardID] && private[orig.BoardID]:
		ve.Add("into", fmt.Sprintf("Idea #%d is on another private board; an idea on a private board merges only into one on the same board.", orig.ID))
	case private[dup.BoardID]:
		ve.Add("into", fmt.Sprintf("This idea is on a private board: merging it into idea #%d would make its private discussion public. Choose an original on the same board.", orig.ID))
	case private[orig.BoardID]:
		ve.Add("into", fmt.Sprintf("Idea #%d is on a private board, where this idea's voters and followers can't see it. Choose an original on a public board.", orig.ID))
	}
	return ve.Err()
}

func mergeTx(ctx context.Context, tx bun.Tx, now time.Time, dup, orig *Idea, dupStatus *Status, actor *User) error {
	// Voters of the duplicate who have not voted on the original bring their
	// vote, with its time, across; the rest are already counted there.
	res, err := tx.NewRaw(`INSERT INTO votes (idea_id, user_id, created_at, importance)
		SELECT ?, d.user_id, d.created_at, d.importance FROM votes AS d
		WHERE d.idea_id = ? AND NOT EXISTS (SELECT 1 FROM votes AS o WHERE o.idea_id = ? AND o.user_id = d.user_id)`,
		orig.ID, dup.ID, orig.ID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("move votes: %w", err)
	}
	moved, _ := res.RowsAffected()
	if _, err := tx.NewDelete().Model((*Vote)(nil)).Where("idea_id = ?", dup.ID).Exec(ctx); err != nil {
		return fmt.Errorf("clear duplicate's votes: %w", err)
	}
	_, err = tx.NewRaw(`INSERT INTO subscriptions (idea_id, user_id, created_at)
		SELECT ?, d.user_id, ? FROM subscriptions AS d
		WHERE d.idea_id = ? AND d.unfollowed_at IS NULL
		AND NOT EXISTS (SELECT 1 FROM subscriptions AS o WHERE o.idea_id = ? AND o.user_id = d.user_id)`,
		orig.ID, now, dup.ID, orig.ID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("move subscribers: %w", err)
	}

	// The discussion moves too: the duplicate's comments continue under the
	// original, whose count is taken afresh from its visible comments.
	if _, err := tx.NewUpdate().Table("comments").Set("idea_id = ?", orig.ID).Where("idea_id = ?", dup.ID).Exec(ctx); err != nil {
		return fmt.Errorf("move comments: %w", err)
	}
	comments, err := tx.NewSelect().Model((*Comment)(nil)).Where("idea_id = ?", orig.ID).Where("hidden_at IS NULL").Count(ctx)
	if err != nil {
		return fmt.Errorf("count original's comments: %w", err)
	}

	// The original's counter and trend come from its final set of votes.
	var times []time.Time
	if err := tx.NewSelect().Model((*Vote)(nil)).Column("created_at").Where("idea_id = ?", orig.ID).Scan(ctx, &times); err != nil {
		return fmt.Errorf("load original's votes: %w", err)
	}
	_, err = tx.NewUpdate().Model(orig).WherePK().
		Set("votes_count = ?", len(times)).
		Set("comments_count = ?", comments).
		Set("trend_score = ?", TrendOf(times)).
		Set("updated_at = ?", now).
		Set("last_activity_at = ?", now).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("update original: %w", err)
	}
	_, err = tx.NewUpdate().Model(dup).WherePK().
		Set("merged_into_id = ?", orig.ID).
		Set("status_id = ?", dupStatus.ID).
		Set("votes_count = 0").
		Set("comments_count = 0").
		Set("trend_score = ?", float64(NoTrend)).
		Set("updated_at = ?", now).
		Set("last_activity_at = ?", now).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("update duplicate: %w", err)
	}
	_, err = tx.NewUpdate().Table("ideas").Set("merged_into_id = ?", orig.ID).
		Where("merged_into_id = ?", dup.ID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("repoint earlier duplicates: %w", err)
	}
	// Revenue, critical votes and weekly counts follow the votes: a
	// company that voted on both counts once on the original.
	if err := recountIdeas(ctx, tx, isPG(tx), []int64{orig.ID, dup.ID}); err != nil {
		return err
	}

	if err := recordEvent(ctx, tx, now, EventMerged, dup, actor.ID,
		MergePayload{IdeaID: orig.ID, Title: orig.Title, Slug: orig.Slug, VotesMoved: int(moved)}); err != nil {
		return err
	}
	return recordEvent(ctx, tx, now, EventMergedInto, orig, actor.ID,
		MergePayload{IdeaID: dup.ID, Title: dup.Title, Slug: dup.Slug, VotesMoved: int(moved)})
}
