package app

import (
	"bytes"
	"context"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// BenchmarkHeavyPages measures what the pages signed-in people see cost to
// serve, beside the home page they see: the roadmap for a member, and the
// roadmap and triage for staff, on the seeded 2,000-idea portal. The
// roadmap's columns are kept for each data version; "after-write" renders
// them afresh on every request, as after a write anywhere (its cards still
// come from the row cache, as they would).
//
//	go test ./app/ -run '^$' -bench HeavyPages -benchtime 200x
func BenchmarkHeavyPages(b *testing.B) {
	p := seededPortal(b, benchSizes[0])
	db, a := p.db, p.app
	ctx := context.Background()
	member, err := models.UserByID(ctx, db, int64(benchSizes[0].users))
	if err != nil {
		b.Fatal(err)
	}
	staff, err := models.UserByEmail(ctx, db, "heavy-bench-staff@example.com")
	if err != nil {
		staff = dbtest.User(b, db, "Bench Staff", "heavy-bench-staff@example.com", models.RoleStaff)
	}
	cookie := func(u *models.User) string {
		return "cluetrain_session=" + storeSession(b, db, u) + "; " + a.csrfCookieName() + "=" + string(bytes.Repeat([]byte("c"), 43))
	}
	memberCookie, staffCookie := cookie(member), cookie(staff)
	for _, pg := range []struct {
		name, path, cookie string
		afterWrite         bool
	}{
		{"home-member", "/", memberCookie, false},
		{"roadmap-member", "/roadmap", memberCookie, false},
		{"roadmap-member-after-write", "/roadmap", memberCookie, true},
		{"roadmap-staff", "/roadmap", staffCookie, false},
		{"roadmap-staff-after-write", "/roadmap", staffCookie, true},
		{"triage-staff", "/triage", staffCookie, false},
	} {
		b.Run(pg.name, func(b *testing.B) {
			benchServe(b, a, pg.path, pg.cookie, pg.afterWrite)
		})
	}
}
