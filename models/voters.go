package models

import (
	"context"
	"fmt"
	"time"
)

// Voter is a person who voted for an idea, as staff see them: who they are
// to the company, and how much the idea matters to them.
type Voter struct {
	UserID     int64     `bun:"user_id"`
	Name       string    `bun:"name"`
	Email      *string   `bun:"email"`
	ExternalID *string   `bun:"external_id"`
	Company    string    `bun:"company"`
	Plan       string    `bun:"plan"`
	MRRCents   int64     `bun:"mrr_cents"`
	Importance string    `bun:"importance"`
	VotedAt    time.Time `bun:"created_at"`

	CompanyRevenueCents int64 `bun:"company_mrr"` // filled by WhoIsAsking only
}

// EmailAddress is the voter's email or "".
func (v *Voter) EmailAddress() string {
	if v.Email == nil {
		return ""
	}
	return *v.Email
}

// IdeaVoters returns up to limit voters of the idea after the given user
// id, in user id order: a range of the votes' key, so a list or an export
// of any size is read a page at a time. It also returns the id to continue
// after, or 0 on the last page. Staff only: callers check the idea is
// visible to them.
func IdeaVoters(ctx context.Context, db *DB, ideaID, afterUserID int64, limit int) ([]Voter, int64, error) {
	var vs []Voter
	err := db.bun.NewSelect().TableExpr("votes AS v").Join("JOIN users AS u ON u.id = v.user_id").
		ColumnExpr("v.user_id, u.name, u.email, u.external_id, u.company, u.plan, u.mrr_cents, v.importance, v.created_at").
		Where("v.idea_id = ?", ideaID).Where("v.user_id > ?", afterUserID).
		OrderExpr("v.user_id").Limit(int64(limit+1)).Scan(ctx, &vs)
	if err != nil {
		return nil, 0, fmt.Errorf("voters of idea %d: %w", ideaID, mapErr(err))
	}
	if len(vs) > limit {
		vs = vs[:limit]
		return vs, vs[limit-1].UserID, nil
	}
	return vs, 0, nil
}

// Asking is who is asking for an idea, for staff: its voters grouped by
// company (the paying ones first), and how much it matters to them.
type Asking struct {
	Companies []AskingCompany
	More      int            // voters not listed
	Mix       map[string]int // votes by importance; "" is a plain vote
}

// AskingCompany is one company's voters on an idea ("" for people with no
// company).
type AskingCompany struct {
	Company      string
	RevenueCents int64 // the company's monthly revenue; 0 for ""
	Voters       []Voter
}

// askingLimit is how many voters the idea page lists.
const askingLimit = 100

// WhoIsAsking reads who is asking for the idea: up to 100 voters, grouped
// by company, the companies by their revenue, and the importance mix. It
// reads the idea's votes only, whatever the size of the site.
func WhoIsAsking(ctx context.Context, db *DB, ideaID int64) (*Asking, error) {
	var vs []Voter
	err := db.bun.NewSelect().TableExpr("votes AS v").Join("JOIN users AS u ON u.id = v.user_id").
		ColumnExpr("v.user_id, u.name, u.email, u.company, u.plan, u.mrr_cents, v.importance, v.created_at").
		ColumnExpr("COALESCE((SELECT max(c.mrr_cents) FROM users AS c WHERE c.company = u.company AND u.company <> ''), -1) AS company_mrr").
		Where("v.idea_id = ?", ideaID).
		OrderExpr("company_mrr DESC, u.company, u.mrr_cents DESC, v.user_id").
		Limit(askingLimit+1).Scan(ctx, &vs)
	if err != nil {
		return nil, fmt.Errorf("who is asking for idea %d: %w", ideaID, mapErr(err))
	}
	a := &Asking{Mix: map[string]int{}}
	var total int
	var mix []struct {
		Importance string `bun:"importance"`
		N          int    `bun:"n"`
	}
	err = db.bun.NewSelect().Table("votes").ColumnExpr("importance, count(*) AS n").
		Where("idea_id = ?", ideaID).Group("importance").Scan(ctx, &mix)
	if err != nil {
		return nil, fmt.Errorf("importance mix of idea %d: %w", ideaID, mapErr(err))
	}
	for _, m := range mix {
		a.Mix[m.Importance] = m.N
		total += m.N
	}
	if len(vs) > askingLimit {
		vs = vs[:askingLimit]
	}
	a.More = total - len(vs)
	for _, v := range vs {
		n := len(a.Companies)
		if n == 0 || a.Companies[n-1].Company != v.Company {
			a.Companies = append(a.Companies, AskingCompany{Company: v.Company})
			n++
		}
		c := &a.Companies[n-1]
		c.Voters = append(c.Voters, v)
		c.RevenueCents = max(v.CompanyRevenueCents, 0)
	}
	return a, nil
}
