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

// Triage sorts (DESIGN.md's names; "top" and "trending" are taken for
// votes and trend too, as links made before them still say).
const (
	TriageVotes   = "votes"
	TriageTrend   = "trend"
	TriageRevenue = "revenue"
)

// TriageSort names the triage sort s asks for: votes unless it says trend
// or revenue.
func TriageSort(s string) string {
	switch s {
	case TriageTrend, SortTrending:
		return TriageTrend
	case TriageRevenue:
		return TriageRevenue
	}
	return TriageVotes
}

// TriageQuery selects the ideas a product manager works through.
type TriageQuery struct {
	Sort     string // TriageVotes (default), TriageTrend or TriageRevenue
	BoardID  int64  // 0: every board
	StatusID int64  // 0: every open status not on the roadmap
	Plan     string // "": everyone; else only ideas with a voter on the plan
	After    string // cursor from a previous page's Next
	Limit    int    // default and at most TriageLimit
}

// TriageItem is an idea with its recent vote count and its votes per week.
type TriageItem struct {
	Idea
	Velocity int   // votes in the last VelocityWindow
	Weeks    []int // standing votes by the week they were cast, the last ChartWeeks weeks, oldest first
}

// TriagePage is one page of the triage view.
type TriagePage struct {
	Items []TriageItem
	Next  string // cursor for the following page, "" on the last
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

// Plans lists the plans people are on, for the triage filter: at most 50,
// read from users_plan_idx.
func Plans(ctx context.Context, db *DB) ([]string, error) {
	var plans []string
	err := db.bun.NewSelect().Table("users").Column("plan").Where("plan <> ''").
		Group("plan").Order("plan").Limit(50).Scan(ctx, &plans)
	if err != nil {
		return nil, fmt.Errorf("plans: %w", mapErr(err))
	}
	return plans, nil
}

// triageColumn is the idea column a triage sort orders by.
func triageColumn(sort string) string {
	switch sort {
	case TriageTrend:
		return "trend_score"
	case TriageRevenue:
		return "revenue_cents"
	}
	return "votes_count"
}

// Triage ranks the ideas not yet on the roadmap by votes, trend or revenue
// at stake, for staff (private boards included, hidden and merged ideas
// left out), a page at a time. Each status is one range of
// ideas_status_{top,trend,revenue}_idx from the cursor on; the ranges are
// merged here. The plan filter probes idea_plans' key for each idea the
// range reads. The page's vote velocity is one grouped query over
// votes_idea_time_idx, its weekly counts one over idea_weeks' key.
func Triage(ctx context.Context, db *DB, q TriageQuery) (TriagePage, error) {
	if q.Limit <= 0 || q.Limit > TriageLimit {
		q.Limit = TriageLimit
	}
	q.Sort = TriageSort(q.Sort)
	col := triageColumn(q.Sort)
	var after struct {
		val any
		id  int64
	}
	if q.After != "" {
		val, id, ok := decodeCursor(q.After)
		v, err := cursorValue(col, val)
		if !ok || err != nil {
			return TriagePage{}, &ValidationError{Fields: map[string]string{"after": "is not a valid page cursor"}}
		}
		after.val, after.id = v, id
	}

	var statusIDs []int64
	if q.StatusID != 0 {
		statusIDs = []int64{q.StatusID}
	} else {
		err := db.bun.NewSelect().Table("statuses").Column("id").
			Where("on_roadmap = ?", false).Where("category = ?", CategoryOpen).
			Order("position", "id").Scan(ctx, &statusIDs)
		if err != nil {
			return TriagePage{}, fmt.Errorf("triage statuses: %w", err)
		}
	}

	var ideas []Idea
	for _, sid := range statusIDs {
		var part []Idea
		// A row shows neither the body nor the response: leave the long
		// text columns in the table.
		sel := db.bun.NewSelect().Model(&part).
			Column("id", "board_id", "author_id", "title", "slug", "status_id", "votes_count",
				"comments_count", "trend_score", "revenue_cents", "critical_count", "merged_into_id",
				"hidden_at", "created_at", "updated_at", "last_activity_at").
			Relation("Board").Relation("Status").
			Where("idea.status_id = ?", sid).
			Where("idea.hidden_at IS NULL").Where("idea.merged_into_id IS NULL").
			OrderExpr("idea." + col + " DESC, idea.id DESC").
			Limit(int64(q.Limit + 1))
		if q.BoardID != 0 {
			sel = sel.Where("idea.board_id = ?", q.BoardID)
		}
		if q.Plan != "" {
			sel = sel.Where("EXISTS (SELECT 1 FROM idea_plans AS ip WHERE ip.idea_id = idea.id AND ip.plan = ?)", q.Plan)
		}
		if after.id != 0 {
			sel = sel.Where("(idea."+col+", idea.id) < (?, ?)", after.val, after.id)
		}
		if err := sel.Scan(ctx); err != nil {
			return TriagePage{}, fmt.Errorf("triage: %w", mapErr(err))
		}
		ideas = append(ideas, part...)
	}
	sort.SliceStable(ideas, func(i, j int) bool {
		a, b := &ideas[i], &ideas[j]
		switch {
		case q.Sort == TriageTrend && a.TrendScore != b.TrendScore:
			return a.TrendScore > b.TrendScore
		case q.Sort == TriageRevenue && a.RevenueCents != b.RevenueCents:
			return a.RevenueCents > b.RevenueCents
		case q.Sort == TriageVotes && a.VotesCount != b.VotesCount:
			return a.VotesCount > b.VotesCount
		}
		return a.ID > b.ID
	})
	var page TriagePage
	if len(ideas) > q.Limit {
		ideas = ideas[:q.Limit]
		last := &ideas[q.Limit-1]
		page.Next = encodeCursor(cursorOf(col, last), last.ID)
	}

	items := make([]TriageItem, len(ideas))
	ids := make([]int64, len(ideas))
	for i := range ideas {
		items[i].Idea = ideas[i]
		ids[i] = ideas[i].ID
	}
	page.Items = items
	if len(ids) == 0 {
		return page, nil
	}
	var counts []struct {
		IdeaID int64 `bun:"idea_id"`
		N      int   `bun:"n"`
	}
	now := db.Now()
	err := db.bun.NewSelect().Table("votes").ColumnExpr("idea_id, count(*) AS n").
		Where("idea_id IN (?)", bun.List(ids)).
		Where("created_at >= ?", now.Add(-VelocityWindow)).
		Group("idea_id").Scan(ctx, &counts)
	if err != nil {
		return TriagePage{}, fmt.Errorf("vote velocity: %w", err)
	}
	byID := make(map[int64]int, len(counts))
	for _, c := range counts {
		byID[c.IdeaID] = c.N
	}
	weeks, err := WeeklyVotes(ctx, db, ids, now, ChartWeeks)
	if err != nil {
		return TriagePage{}, err
	}
	for i := range items {
		items[i].Velocity = byID[items[i].ID]
		items[i].Weeks = weeks[items[i].ID]
	}
	return page, nil
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
