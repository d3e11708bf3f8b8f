package models

import (
	"context"
	"fmt"
	"math/rand"

	"github.com/uptrace/bun"
)

// customers makes four in five seeded people customers of n companies:
// every tenth company on the enterprise plan, every third of the rest on
// pro, the others on starter, each with a monthly revenue to match. One
// vote in ten is critical and two in ten important. It draws from a random
// stream of its own, so the rest of the data stays as it was.
func (s *seeder) customers(ctx context.Context, tx bun.Tx, pg bool, n int, seed int64) error {
	rng := rand.New(rand.NewSource(seed ^ 0x5eed))
	type company struct {
		name, plan string
		mrr        int64
		ids        []int64
	}
	cos := make([]company, n)
	for k := range cos {
		c := &cos[k]
		c.name = fmt.Sprintf("%s %s", seedLast[k%len(seedLast)], []string{"Labs", "GmbH", "Inc.", "& Co", "Studio", "Systems", "Group"}[(k/len(seedLast))%7])
		if k >= len(seedLast)*7 {
			c.name += fmt.Sprintf(" %d", k/(len(seedLast)*7)+1)
		}
		switch {
		case k%10 == 0:
			c.plan, c.mrr = "enterprise", int64(2000+rng.Intn(18000))*100
		case k%3 == 0:
			c.plan, c.mrr = "pro", int64(200+rng.Intn(1800))*100
		default:
			c.plan, c.mrr = "starter", int64(20+rng.Intn(180))*100
		}
	}
	for _, p := range s.people {
		if rng.Intn(5) == 0 {
			continue
		}
		k := rng.Intn(n)
		cos[k].ids = append(cos[k].ids, p.ID)
	}
	for _, c := range cos {
		if len(c.ids) == 0 {
			continue
		}
		_, err := tx.NewUpdate().Table("users").Set("company = ?", c.name).Set("plan = ?", c.plan).
			Set("mrr_cents = ?", c.mrr).Where("id IN (?)", bun.List(c.ids)).Exec(ctx)
		if err != nil {
			return fmt.Errorf("seed customers: %w", err)
		}
	}
	_, err := tx.ExecContext(ctx, `UPDATE votes SET importance = CASE (user_id * 31 + idea_id) % 10
		WHEN 0 THEN 'critical' WHEN 1 THEN 'important' WHEN 2 THEN 'important' WHEN 3 THEN 'nice' ELSE '' END`)
	if err != nil {
		return fmt.Errorf("seed importance: %w", err)
	}
	return recountIdeas(ctx, tx, pg, nil)
}
