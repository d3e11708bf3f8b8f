package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func TestUsersCommand(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			dbURL := dbtest.URL(t, dialect)
			t.Setenv("DATABASE_URL", dbURL)
			t.Setenv("LOG_LEVEL", "error")
			if st, out, _ := run("users", "--help"); st != exitOK || !strings.Contains(out, "set-role EMAIL ROLE") {
				t.Fatalf("users --help: %d %q", st, out)
			}
			if st, _, _ := run("users"); st != exitUsage {
				t.Errorf("users with no command: %d, want %d", st, exitUsage)
			}
			if st, _, _ := run("users", "set-role", "only-one-arg"); st != exitUsage {
				t.Errorf("set-role with one argument: %d", st)
			}
			// The first run migrates an empty database.
			if st, out, errOut := run("users", "list"); st != exitOK || !strings.Contains(out, "ROLE") {
				t.Fatalf("users list: %d %q %q", st, out, errOut)
			}

			db, err := models.Open(context.Background(), dbURL, 10*time.Second, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			dbtest.User(t, db, "Grace", "grace@example.com", models.RoleMember)
			dbtest.User(t, db, "Alan", "alan@example.com", models.RoleAdmin)

			st, out, _ := run("users", "list")
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if st != exitOK || len(lines) != 3 || !strings.Contains(lines[1], "alan@example.com") || !strings.Contains(lines[1], "admin") ||
				!strings.Contains(lines[2], "grace@example.com") || !strings.Contains(lines[2], "member") {
				t.Fatalf("users list:\n%s", out)
			}

			if st, out, errOut := run("users", "set-role", "GRACE@example.com", "staff"); st != exitOK || out != "grace@example.com is now staff\n" {
				t.Errorf("set-role: %d %q %q", st, out, errOut)
			}
			if n := dbtest.Count(t, db, "SELECT count(*) FROM users WHERE email = 'grace@example.com' AND role = 'staff'"); n != 1 {
				t.Error("set-role did not change the role")
			}
			if st, _, errOut := run("users", "set-role", "grace@example.com", "overlord"); st != exitUsage || !strings.Contains(errOut, "not a role") {
				t.Errorf("set-role to a bad role: %d %q", st, errOut)
			}
			if st, _, errOut := run("users", "set-role", "nobody@example.com", "admin"); st != exitFailed || !strings.Contains(errOut, "no account") {
				t.Errorf("set-role for an unknown address: %d %q", st, errOut)
			}

			if st, out, _ := run("users", "block", "grace@example.com"); st != exitOK || out != "grace@example.com is now staff (blocked)\n" {
				t.Errorf("block: %d %q", st, out)
			}
			if n := dbtest.Count(t, db, "SELECT count(*) FROM users WHERE email = 'grace@example.com' AND blocked_at IS NOT NULL"); n != 1 {
				t.Error("block did not block")
			}
			if _, out, _ := run("users", "list"); !strings.Contains(out, "blocked") {
				t.Errorf("list does not show the block:\n%s", out)
			}
			if st, _, _ := run("users", "unblock", "grace@example.com"); st != exitOK {
				t.Errorf("unblock: %d", st)
			}
			if n := dbtest.Count(t, db, "SELECT count(*) FROM users WHERE blocked_at IS NOT NULL"); n != 0 {
				t.Error("unblock did not unblock")
			}
		})
	}
}
