package models

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/uptrace/bun"
)

// TriageLimit is how many ideas the triage view ranks at once.
const TriageLimit = 50

// VelocityWindow is how far back the triage view counts recent votes.
const VelocityWindow = 30 * 24 * time.Hour

// TriageQuery selects the ideas a product manager works through.
type TriageQuery struct {
	Sort     string // SortTop (default) or SortTrending
	BoardID  int64  // 0: every board
	StatusID int64  // 0: every open status not on the roadmap
	Limit    int    // default and at most TriageLimit
}

// TriageItem is an idea with its recent vote count.
type TriageItem struct {
	Idea
	Velocity int // votes in the last VelocityWindow
}

// TriageStatuses are the statuses the triage view can show: those not on
// the roadmap, except duplicate (merged ideas have left every list).
func TriageStatuses(ctx context.Context, db *DB) ([]Status, error) {
	var ss []Status
	err := db.bun.NewSelect().Model(&ss).
		Where("on_roadmap = ?", false).Where("slug <> ?", SlugDuplicate).
		Order("position", "id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("triage statuses: %w", err)
	}
	return ss, nil
}

// Triage ranks the ideas not yet on the roadmap by votes or by trend, for
// staff (private boards included, hidden and merged ideas left out). Each
// status is one range of ideas_status_top_idx or ideas_status_trend_idx; the
// ranges are merged here, and the vote velocity of the page's ideas is one
// grouped query over votes_idea_time_idx.
func Triage(ctx context.Context, db *DB, q TriageQuery) ([]TriageItem, error) {
	if q.Limit <= 0 || q.Limit > TriageLimit {
		q.Limit = TriageLimit
	}
	if q.Sort != SortTrending {
		q.Sort = SortTop
	}
	col := sortColumn(q.Sort)

	var statusIDs []int64
	if q.StatusID != 0 {
		statusIDs = []int64{q.StatusID}
	} else {
		err := db.bun.NewSelect().Table("statuses").Column("id").
			Where("on_roadmap = ?", false).Where("category = ?", CategoryOpen).
			Order("position", "id").Scan(ctx, &statusIDs)
		if err != nil {
			return nil, fmt.Errorf("triage statuses: %w", err)
		}
	}

	var ideas []Idea
	for _, sid := range statusIDs {
		var part []Idea
		sel := db.bun.NewSelect().Model(&part).Relation("Board").Relation("Status").
			Where("idea.status_id = ?", sid).
			Where("idea.hidden_at IS NULL").Where("idea.merged_into_id IS NULL").
			OrderExpr("idea." + col + " DESC, idea.id DESC").
			Limit(int64(q.Limit))
		if q.BoardID != 0 {
			sel = sel.Where("idea.board_id = ?", q.BoardID)
		}
		if err := sel.Scan(ctx); err != nil {
			return nil, fmt.Errorf("triage: %w", err)
		}
		ideas = append(ideas, part...)
	}
	sort.SliceStable(ideas, func(i, j int) bool {
		a, b := &ideas[i], &ideas[j]
		if q.Sort == SortTrending && a.TrendScore != b.TrendScore {
			return a.TrendScore > b.TrendScore
		}
		if q.Sort == SortTop && a.VotesCount != b.VotesCount {
			return a.VotesCount > b.VotesCount
		}
		return a.ID > b.ID
	})
	if len(ideas) > q.Limit {
		ideas = ideas[:q.Limit]
	}

	items := make([]TriageItem, len(ideas))
	ids := make([]int64, len(ideas))
	for i := range ideas {
		items[i].Idea = ideas[i]
		ids[i] = ideas[i].ID
	}
	if len(ids) == 0 {
		return items, nil
	}
	var counts []struct {
		IdeaID int64 `bun:"idea_id"`
		N      int   `bun:"n"`
	}
	err := db.bun.NewSelect().Table("votes").ColumnExpr("idea_id, count(*) AS n").
		Where("idea_id IN (?)", bun.List(ids)).
		Where("created_at >= ?", db.Now().Add(-VelocityWindow)).
		Group("idea_id").Scan(ctx, &counts)
	if err != nil {
		return nil, fmt.Errorf("vote velocity: %w", err)
	}
	byID := make(map[int64]int, len(counts))
	for _, c := range counts {
		byID[c.IdeaID] = c.N
	}
	for i := range items {
		items[i].Velocity = byID[items[i].ID]
	}
	return items, nil
}

// HideIdea hides an idea from everyone but staff, or shows it again, on
// behalf of a staff member. A hidden idea leaves every list, the roadmap,
// the changelog, search and feeds.
func HideIdea(ctx context.Context, db *DB, ideaID int64, actor *User, hide bool) error {
	if !actor.IsStaff() {
		return fmt.Errorf("hide idea %d: %w", ideaID, ErrForbidden)
	}
	err := db.inTx(ctx, func(tx bun.Tx) error {
		return hideIdeaTx(ctx, db, tx, db.Now(), ideaID, actor, hide)
	})
	if err != nil {
		return fmt.Errorf("hide idea %d: %w", ideaID, err)
	}
	return nil
}

// hideIdeaTx is the body of HideIdea, shared by the report queue. Showing
// an idea again also ends any wait for approval.
func hideIdeaTx(ctx context.Context, db *DB, tx bun.Tx, now time.Time, ideaID int64, actor *User, hide bool) error {
	idea, err := lockIdea(ctx, db, tx, ideaID)
	if err != nil {
		return err
	}
	if (idea.HiddenAt != nil) == hide {
		return nil
	}
	var at *time.Time
	kind := EventIdeaShown
	if hide {
		at, kind = &now, EventIdeaHidden
	}
	if _, err := tx.NewUpdate().Model(idea).WherePK().Set("hidden_at = ?", at).Set("moderation = ''").Exec(ctx); err != nil {
		return err
	}
	// Every feed that listed the idea changes: the event says so.
	return recordEvent(ctx, tx, now, kind, idea, actor.ID, struct{}{})
}
