package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// How much a vote matters to the voter; a plain vote says nothing.
const (
	ImportanceNice      = "nice"
	ImportanceImportant = "important"
	ImportanceCritical  = "critical"
)

// Importances lists the importances a vote may carry, least first.
var Importances = []string{ImportanceNice, ImportanceImportant, ImportanceCritical}

// ValidImportance reports whether s is an importance a vote may carry ("" is
// a plain vote).
func ValidImportance(s string) bool {
	return s == "" || s == ImportanceNice || s == ImportanceImportant || s == ImportanceCritical
}

// weekEpoch is Monday 5 January 1970: weeks are numbered from it.
const weekEpoch = 4 * 24 * 60 * 60

// weekSeconds is the length of a week.
const weekSeconds = 7 * 24 * 60 * 60

// WeekOf numbers the week (Monday to Sunday, UTC) the time falls in.
func WeekOf(t time.Time) int {
	s := t.Unix() - weekEpoch
	w := s / weekSeconds
	if s < 0 && s%weekSeconds != 0 {
		w--
	}
	return int(w)
}

// WeekStart is the Monday that begins the numbered week.
func WeekStart(week int) time.Time {
	return time.Unix(int64(week)*weekSeconds+weekEpoch, 0).UTC()
}

// weekExpr is the SQL for WeekOf(created_at).
func weekExpr(pg bool) string {
	if pg {
		return "CAST(floor((extract(epoch FROM created_at) - 345600) / 604800) AS INTEGER)"
	}
	return "CAST((CAST(strftime('%s', created_at) AS INTEGER) - 345600) / 604800 AS INTEGER)"
}

// voter is what a vote's weight depends on.
type voter struct {
	Company  string `bun:"company"`
	Plan     string `bun:"plan"`
	MRRCents int64  `bun:"mrr_cents"`
}

// weight is how one vote changes its idea's stored weighing.
type weight struct {
	revenue  int64
	critical int
}

// weighVote keeps the idea's per-company, per-plan and per-week counts as
// a vote by the user, cast at the time with the importance, comes (sign 1)
// or goes (sign -1), and answers how the idea's revenue at stake and
// critical count change. A company's revenue joins the idea with its first
// voter and leaves with its last; a voter without a company is a customer
// of their own. Every read is one index probe, whatever the site's size.
func weighVote(ctx context.Context, tx bun.IDB, ideaID, userID int64, castAt time.Time, importance string, sign int) (weight, error) {
	var w weight
	if importance == ImportanceCritical {
		w.critical = sign
	}
	var v voter
	err := tx.NewSelect().Table("users").Column("company", "plan", "mrr_cents").
		Where("id = ?", userID).Scan(ctx, &v)
	if err != nil {
		return w, fmt.Errorf("read voter %d: %w", userID, err)
	}
	if v.Company == "" {
		w.revenue = int64(sign) * v.MRRCents
	} else {
		n, err := bump(ctx, tx, "idea_companies", "company", ideaID, v.Company, sign)
		if err != nil {
			return w, err
		}
		if (sign > 0 && n == 1) || (sign < 0 && n == 0) {
			mrr, err := companyRevenue(ctx, tx, v.Company)
			if err != nil {
				return w, err
			}
			w.revenue = int64(sign) * mrr
		}
	}
	if v.Plan != "" {
		if _, err := bump(ctx, tx, "idea_plans", "plan", ideaID, v.Plan, sign); err != nil {
			return w, err
		}
	}
	if _, err := bump(ctx, tx, "idea_weeks", "week", ideaID, WeekOf(castAt), sign); err != nil {
		return w, err
	}
	return w, nil
}

// bump adds sign to the count kept in table for (idea, key), dropping the
// row when it reaches zero, and answers the new count.
func bump(ctx context.Context, tx bun.IDB, table, keyCol string, ideaID int64, key any, sign int) (int, error) {
	count := "voters"
	if table == "idea_weeks" {
		count = "votes"
	}
	var n int
	if sign > 0 {
		q := fmt.Sprintf(`INSERT INTO %s (idea_id, %s, %s) VALUES (?, ?, 1)
			ON CONFLICT (idea_id, %s) DO UPDATE SET %s = %s.%s + 1 RETURNING %s`,
			table, keyCol, count, keyCol, count, table, count, count)
		if err := tx.NewRaw(q, ideaID, key).Scan(ctx, &n); err != nil {
			return 0, fmt.Errorf("count in %s: %w", table, err)
		}
		return n, nil
	}
	var ns []int
	q := fmt.Sprintf(`UPDATE %s SET %s = %s - 1 WHERE idea_id = ? AND %s = ? RETURNING %s`,
		table, count, count, keyCol, count)
	if err := tx.NewRaw(q, ideaID, key).Scan(ctx, &ns); err != nil && !isNoRows(err) {
		return 0, fmt.Errorf("uncount in %s: %w", table, err)
	}
	if len(ns) == 1 && ns[0] <= 0 {
		q := fmt.Sprintf(`DELETE FROM %s WHERE idea_id = ? AND %s = ?`, table, keyCol)
		if _, err := tx.NewRaw(q, ideaID, key).Exec(ctx); err != nil {
			return 0, fmt.Errorf("drop from %s: %w", table, err)
		}
	}
	if len(ns) == 1 {
		n = ns[0]
	}
	return n, nil
}

// companyRevenue is a company's monthly revenue: the largest any of its
// people carries, read from users_company_idx.
func companyRevenue(ctx context.Context, tx bun.IDB, company string) (int64, error) {
	var mrr *int64
	err := tx.NewSelect().Table("users").ColumnExpr("max(mrr_cents)").
		Where("company = ?", company).Scan(ctx, &mrr)
	if err != nil {
		return 0, fmt.Errorf("revenue of %q: %w", company, err)
	}
	if mrr == nil {
		return 0, nil
	}
	return *mrr, nil
}

// isNoRows reports a Scan that found nothing.
func isNoRows(err error) bool { return errors.Is(mapErr(err), ErrNotFound) }

// RecountRevenue sets the revenue at stake, and the per-company and
// per-plan counts, of every idea the person's change of company, plan or
// revenue touches: the ideas they voted for, and those their company (and
// any company they left, named in formerCompanies) voted for. Call it in
// the transaction that changes the person, after the change.
func RecountRevenue(ctx context.Context, tx bun.IDB, userID int64, formerCompanies ...string) error {
	var company string
	if err := tx.NewSelect().Table("users").Column("company").Where("id = ?", userID).Scan(ctx, &company); err != nil {
		return fmt.Errorf("recount revenue of user %d: %w", userID, mapErr(err))
	}
	companies := []string{}
	for _, c := range append([]string{company}, formerCompanies...) {
		if c != "" {
			companies = append(companies, c)
		}
	}
	var ids []int64
	q := tx.NewSelect().Table("votes").Column("idea_id").Where("user_id = ?", userID)
	if len(companies) > 0 {
		q = q.UnionAll(tx.NewSelect().Table("idea_companies").Column("idea_id").
			Where("company IN (?)", bun.List(companies)))
	}
	if err := q.Scan(ctx, &ids); err != nil && !isNoRows(err) {
		return fmt.Errorf("ideas weighed by user %d: %w", userID, err)
	}
	return recountIdeas(ctx, tx, isPG(tx), uniqueIDs(ids))
}

// SetCustomer sets who the person is to the company (company, plan and
// monthly revenue in cents) and recounts, in the same transaction, the
// revenue at stake of the ideas this touches.
func SetCustomer(ctx context.Context, db *DB, userID int64, company, plan string, mrrCents int64) error {
	company, plan = strings.TrimSpace(company), strings.TrimSpace(plan)
	var ve ValidationError
	if len(company) > 200 {
		ve.Add("company", "Keep the company under 200 characters.")
	}
	if len(plan) > 100 {
		ve.Add("plan", "Keep the plan under 100 characters.")
	}
	if mrrCents < 0 {
		ve.Add("mrr", "Give a monthly revenue of zero or more.")
	}
	if err := ve.Err(); err != nil {
		return err
	}
	err := db.inTx(ctx, func(tx bun.Tx) error {
		var before voter
		if err := tx.NewSelect().Table("users").Column("company", "plan", "mrr_cents").
			Where("id = ?", userID).Scan(ctx, &before); err != nil {
			return mapErr(err)
		}
		if before == (voter{Company: company, Plan: plan, MRRCents: mrrCents}) {
			return nil
		}
		_, err := tx.NewUpdate().Table("users").Set("company = ?", company).Set("plan = ?", plan).
			Set("mrr_cents = ?", mrrCents).Where("id = ?", userID).Exec(ctx)
		if err != nil {
			return err
		}
		return RecountRevenue(ctx, tx, userID, before.Company)
	})
	if err != nil {
		return fmt.Errorf("set customer %d: %w", userID, err)
	}
	return nil
}

// RecountWeighing sets every idea's revenue at stake, critical count and
// per-company, per-plan and per-week counts from the votes and the people
// who cast them (after an import, which writes rows directly).
func RecountWeighing(ctx context.Context, db *DB) error {
	err := db.inTx(ctx, func(tx bun.Tx) error { return recountIdeas(ctx, tx, db.pg, nil) })
	if err != nil {
		return fmt.Errorf("recount weighing: %w", err)
	}
	return nil
}

// RecountIdea sets one idea's weighing from its rows (for fixtures and
// tools that write votes directly).
func RecountIdea(ctx context.Context, db *DB, ideaID int64) error {
	err := db.inTx(ctx, func(tx bun.Tx) error { return recountIdeas(ctx, tx, db.pg, []int64{ideaID}) })
	if err != nil {
		return fmt.Errorf("recount idea %d: %w", ideaID, err)
	}
	return nil
}

// recountBatch is how many ideas one recount statement names.
const recountBatch = 500

// recountIdeas sets the weighing of the ideas from their rows: every idea
// when ids is nil. On PostgreSQL the ideas are locked first, in id order,
// so each statement that follows sees every vote committed before.
func recountIdeas(ctx context.Context, tx bun.IDB, pg bool, ids []int64) error {
	if ids == nil {
		return recountWhere(ctx, tx, pg, nil)
	}
	for len(ids) > 0 {
		n := min(len(ids), recountBatch)
		if err := recountWhere(ctx, tx, pg, ids[:n]); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

func recountWhere(ctx context.Context, tx bun.IDB, pg bool, ids []int64) error {
	// filter limits a statement to the ideas named; col is the idea column.
	filter := func(col string) (string, []any) {
		if ids == nil {
			return "", nil
		}
		return " AND " + col + " IN (?)", []any{bun.List(ids)}
	}
	if pg && ids != nil {
		if _, err := tx.NewRaw("SELECT id FROM ideas WHERE id IN (?) ORDER BY id FOR UPDATE", bun.List(ids)).Exec(ctx); err != nil {
			return fmt.Errorf("lock ideas: %w", err)
		}
	}
	f, args := filter("idea_id")
	for _, t := range []string{"idea_companies", "idea_plans", "idea_weeks"} {
		if _, err := tx.NewRaw("DELETE FROM "+t+" WHERE 1 = 1"+f, args...).Exec(ctx); err != nil {
			return fmt.Errorf("clear %s: %w", t, err)
		}
	}
	fv, args := filter("v.idea_id")
	stmts := []string{
		`INSERT INTO idea_weeks (idea_id, week, votes)
		SELECT idea_id, w, count(*) FROM (SELECT idea_id, ` + weekExpr(pg) + ` AS w FROM votes AS v WHERE 1 = 1` + fv + `) AS v
		GROUP BY idea_id, w`,
		`INSERT INTO idea_companies (idea_id, company, voters)
		SELECT v.idea_id, u.company, count(*) FROM votes AS v JOIN users AS u ON u.id = v.user_id
		WHERE u.company <> ''` + fv + ` GROUP BY v.idea_id, u.company`,
		`INSERT INTO idea_plans (idea_id, plan, voters)
		SELECT v.idea_id, u.plan, count(*) FROM votes AS v JOIN users AS u ON u.id = v.user_id
		WHERE u.plan <> ''` + fv + ` GROUP BY v.idea_id, u.plan`,
	}
	for _, s := range stmts {
		if _, err := tx.NewRaw(s, args...).Exec(ctx); err != nil {
			return fmt.Errorf("recount: %w", err)
		}
	}
	// Each idea's figures are read from its own votes outward (its votes
	// by index, then each voter by key), never from the people without a
	// company inward: a planner that misjudged how many those are once
	// made 40 million probes of 10,000 ideas' votes.
	fi, args := filter("id")
	_, err := tx.NewRaw(`UPDATE ideas SET
		critical_count = (SELECT count(*) FROM votes AS v WHERE v.idea_id = ideas.id AND v.importance = 'critical'),
		revenue_cents = COALESCE((SELECT sum((SELECT u.mrr_cents FROM users AS u WHERE u.id = v.user_id AND u.company = ''))
		                          FROM votes AS v WHERE v.idea_id = ideas.id), 0)
		              + COALESCE((SELECT sum((SELECT max(u.mrr_cents) FROM users AS u WHERE u.company = ic.company))
		                          FROM idea_companies AS ic WHERE ic.idea_id = ideas.id), 0)
		WHERE 1 = 1`+fi, args...).Exec(ctx)
	if err != nil {
		return fmt.Errorf("recount revenue: %w", err)
	}
	return nil
}

// isPG reports whether the connection speaks PostgreSQL.
func isPG(tx bun.IDB) bool { return tx.Dialect().Name() == dialect.PG }

// uniqueIDs is the ids without repeats, in order of first appearance;
// never nil.
func uniqueIDs(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// ChartWeeks is how many weeks the triage chart shows, this one last.
const ChartWeeks = 12

// WeeklyVotes counts the standing votes of each idea by the week they were
// cast, over the weeks weeks up to and including now's: one slice per idea,
// oldest week first. One range of idea_weeks' key per idea.
func WeeklyVotes(ctx context.Context, db *DB, ideaIDs []int64, now time.Time, weeks int) (map[int64][]int, error) {
	out := make(map[int64][]int, len(ideaIDs))
	for _, id := range ideaIDs {
		out[id] = make([]int, weeks)
	}
	if len(ideaIDs) == 0 || weeks <= 0 {
		return out, nil
	}
	last := WeekOf(now)
	first := last - weeks + 1
	var rows []struct {
		IdeaID int64 `bun:"idea_id"`
		Week   int   `bun:"week"`
		Votes  int   `bun:"votes"`
	}
	err := db.bun.NewSelect().Table("idea_weeks").Column("idea_id", "week", "votes").
		Where("idea_id IN (?)", bun.List(ideaIDs)).Where("week >= ?", first).Where("week <= ?", last).
		Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("weekly votes: %w", mapErr(err))
	}
	for _, r := range rows {
		out[r.IdeaID][r.Week-first] = r.Votes
	}
	return out, nil
}
