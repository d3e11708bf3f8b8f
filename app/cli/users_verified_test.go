package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// `users set-role`, `block` and `unblock` refuse an address its holder never
// proved, with a non-zero exit and one line saying so, and change nothing.
func TestUsersCommandRefusesUnverifiedAddresses(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			dbURL := dbtest.URL(t, dialect)
			t.Setenv("DATABASE_URL", dbURL)
			t.Setenv("LOG_LEVEL", "error")
			if st, _, errOut := run("users", "list"); st != exitOK {
				t.Fatalf("users list: %d %q", st, errOut)
			}
			db, err := models.Open(context.Background(), dbURL, 10*time.Second, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			// An admin first, so the claimant is not the portal's first account.
			dbtest.User(t, db, "Ada", "ada@example.com", models.RoleAdmin)
			res, err := models.SignInWithProvider(context.Background(), db,
				models.Profile{Provider: "google", Subject: "claim", Email: "boss@example.com"}, models.Roles{})
			if err != nil || res.User.EmailVerified {
				t.Fatalf("claimant: %+v, %v", res, err)
			}
			state := func() string {
				var role string
				var blocked bool
				if err := db.Bun().QueryRow("SELECT role, blocked_at IS NOT NULL FROM users WHERE id = ?", res.User.ID).Scan(&role, &blocked); err != nil {
					t.Fatal(err)
				}
				if blocked {
					return role + " blocked"
				}
				return role
			}

			for _, args := range [][]string{
				{"users", "set-role", "boss@example.com", "staff"},
				{"users", "set-role", "Boss@Example.com", "admin"},
				{"users", "block", "boss@example.com"},
				{"users", "unblock", "boss@example.com"},
			} {
				st, out, errOut := run(args...)
				if st == exitOK || out != "" {
					t.Errorf("%v: exit %d, output %q", args, st, out)
				}
				if lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n"); len(lines) != 1 || !strings.Contains(errOut, "not verified") ||
					!strings.HasPrefix(errOut, "cluetrain users "+args[1]+": ") {
					t.Errorf("%v: want one line about the unverified address, got %q", args, errOut)
				}
				if got := state(); got != models.RoleMember {
					t.Errorf("%v: the claimant is now %s", args, got)
				}
			}
		})
	}
}
