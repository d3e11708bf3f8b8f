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

// VelocityWeeks is how many weeks the triage view's recent votes cover:
// this week and the ones before it, read from the weekly counts the chart
// shows, so the figure costs no count of votes however popular the idea.
const VelocityWeeks = 4

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

	// Statuses and Boards, when the caller has read them already (every
	// status TriageStatuses lists, every board staff see), spare a query
	// each; left nil, Triage reads them.
	Statuses []Status
	Boards   []Board
}

// TriageItem is an idea with its recent vote count and its votes per week.
type TriageItem struct {
	Idea
	Velocity int   // standing votes cast in the last VelocityWeeks weeks, this one included
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

// Plans lists the plans people are on, for the triage filter: at most 50.
// Each is one probe of users_plan_idx for the next plan after the last, so
// the cost is the number of plans, not of people.
func Plans(ctx context.Context, db *DB) ([]string, error) {
	var plans []string
	err := db.bun.NewRaw(`WITH RECURSIVE p(plan, n) AS (
		SELECT (SELECT min(plan) FROM users WHERE plan > ''), 1
		UNION ALL
		SELECT (SELECT min(plan) FROM users WHERE plan > p.plan), n + 1 FROM p WHERE p.plan IS NOT NULL AND n < 50
	) SELECT plan FROM p WHERE plan IS NOT NULL ORDER BY plan`).Scan(ctx, &plans)
	if err != nil {
		return nil, fmt.Errorf("plans: %w", mapErr(err))
	}
	return plans, nil
}

// rarePlanIdeas is how many ideas a plan's voters may have voted for and
// the plan still count as rare for triage's filter.
var rarePlanIdeas = 1000

// rarePlan reports whether at most rarePlanIdeas ideas have a voter on the
// plan, counting no further than that along idea_plans_plan_idx. A rare
// plan's ideas are read from that index and sorted, since walking the
// ranking for them would pass nearly every idea; a common plan's turn up
// within a few steps of the walk.
func rarePlan(ctx context.Context, db *DB, plan string) (bool, error) {
	var n int
	err := db.bun.NewRaw("SELECT count(*) FROM (SELECT 1 FROM idea_plans WHERE plan = ? LIMIT ?) AS p", plan, rarePlanIdeas+1).Scan(ctx, &n)
	if err != nil {
		return false, fmt.Errorf("ideas of plan %q: %w", plan, mapErr(err))
	}
	return n <= rarePlanIdeas, nil
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
// range reads, or, for a plan few ideas have a voter on, reads those ideas
// by idea_plans_plan_idx and sorts them (see rarePlan). The page's boards are one query by key, and its weekly
// counts, from which its recent votes are summed, one over idea_weeks' key.
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

	// The statuses are a handful of rows: read them all (or take the
	// caller's), and give each idea its own rather than joining a copy
	// onto every row.
	statuses := q.Statuses
	if statuses == nil {
		var err error
		if statuses, err = TriageStatuses(ctx, db); err != nil {
			return TriagePage{}, err
		}
	}
	byStatus := make(map[int64]*Status, len(statuses))
	var statusIDs []int64
	for i := range statuses {
		s := &statuses[i]
		byStatus[s.ID] = s
		if q.StatusID == 0 && !s.OnRoadmap && s.Category == CategoryOpen {
			statusIDs = append(statusIDs, s.ID)
		}
	}
	if q.StatusID != 0 {
		if byStatus[q.StatusID] == nil {
			return TriagePage{}, nil // on the roadmap, or no status at all
		}
		statusIDs = []int64{q.StatusID}
	}

	rare := false
	if q.Plan != "" {
		var err error
		if rare, err = rarePlan(ctx, db, q.Plan); err != nil {
			return TriagePage{}, err
		}
	}
	var ideas []Idea
	for _, sid := range statusIDs {
		var part []Idea
		// A row shows neither the body nor the response: leave the long
		// text columns in the table.
		sel := db.bun.NewSelect().Model(&part).
			Column("id", "board_id", "title", "slug", "status_id", "votes_count",
				"comments_count", "trend_score", "revenue_cents", "critical_count",
				"created_at", "updated_at").
			Where("status_id = ?", sid).
			Where("hidden_at IS NULL").Where("merged_into_id IS NULL").
			OrderExpr(col + " DESC, id DESC").
			Limit(int64(q.Limit + 1))
		if q.BoardID != 0 {
			sel = sel.Where("board_id = ?", q.BoardID)
		}
		switch {
		case rare:
			sel = sel.Where("id IN (SELECT ip.idea_id FROM idea_plans AS ip WHERE ip.plan = ?)", q.Plan)
		case q.Plan != "":
			sel = sel.Where("EXISTS (SELECT 1 FROM idea_plans AS ip WHERE ip.idea_id = idea.id AND ip.plan = ?)", q.Plan)
		}
		if after.id != 0 {
			sel = sel.Where("("+col+", id) < (?, ?)", after.val, after.id)
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
	boards := make(map[int64]*Board, len(q.Boards))
	for i := range q.Boards {
		boards[q.Boards[i].ID] = &q.Boards[i]
	}
	if q.Boards == nil {
		var err error
		if boards, err = boardsByID(ctx, db, ideas); err != nil {
			return TriagePage{}, err
		}
	}
	weeks, err := WeeklyVotes(ctx, db, ids, db.Now(), ChartWeeks)
	if err != nil {
		return TriagePage{}, err
	}
	for i := range items {
		it := &items[i]
		it.Board, it.Status = boards[it.BoardID], byStatus[it.StatusID]
		it.Weeks = weeks[it.ID]
		for _, n := range it.Weeks[len(it.Weeks)-VelocityWeeks:] {
			it.Velocity += n
		}
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

// boardsByID reads the boards of the given ideas, by id.
func boardsByID(ctx context.Context, db *DB, ideas []Idea) (map[int64]*Board, error) {
	ids := make([]int64, 0, len(ideas))
	seen := make(map[int64]bool, len(ideas))
	for i := range ideas {
		if id := ideas[i].BoardID; !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	var boards []Board
	if err := db.bun.NewSelect().Model(&boards).Where("id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("boards by id: %w", err)
	}
	out := make(map[int64]*Board, len(boards))
	for i := range boards {
		out[boards[i].ID] = &boards[i]
	}
	return out, nil
}
