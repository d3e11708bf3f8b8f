package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func TestAPIKeyCommand(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			dbURL := dbtest.URL(t, dialect)
			t.Setenv("DATABASE_URL", dbURL)
			t.Setenv("LOG_LEVEL", "error")
			if st, out, _ := run("apikey", "--help"); st != exitOK || !strings.Contains(out, "create --name NAME") {
				t.Fatalf("apikey --help: %d %q", st, out)
			}
			for _, bad := range [][]string{{"apikey"}, {"apikey", "create"}, {"apikey", "create", "--name", "x", "--scope", "admin"},
				{"apikey", "revoke"}, {"apikey", "list", "extra"}, {"apikey", "rotate"}} {
				st, _, errOut := run(bad...)
				if st != exitUsage || strings.TrimSpace(errOut) == "" {
					t.Errorf("%v: %d %q", bad, st, errOut)
				}
			}

			st, out, errOut := run("apikey", "create", "--name", "Support desk")
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if st != exitOK || len(lines) != 3 || !strings.HasPrefix(lines[2], "ctk_") {
				t.Fatalf("apikey create: %d %q %q", st, out, errOut)
			}
			token := lines[2]
			if st, _, errOut := run("apikey", "create", "--name", "Support desk"); st != exitUsage || !strings.Contains(errOut, "exists already") {
				t.Errorf("a second key of one name: %d %q", st, errOut)
			}
			if st, out, _ := run("apikey", "create", "--name", "Reporting", "--scope", "read"); st != exitOK || !strings.Contains(out, "read key") {
				t.Errorf("read key: %d %q", st, out)
			}

			db, err := models.Open(context.Background(), dbURL, 10*time.Second, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			// Only the hash is stored; the key finds its staff account.
			if n := dbtest.Count(t, db, "SELECT count(*) FROM api_keys WHERE hash = '"+token+"' OR prefix = '"+token+"'"); n != 0 {
				t.Error("the key itself is stored")
			}
			key, err := models.APIKeyByToken(t.Context(), db, token)
			if err != nil || key.User.Name != "API: Support desk" || key.User.Role != models.RoleStaff || key.Scope != models.ScopeWrite {
				t.Fatalf("key by token: %+v %v", key, err)
			}

			st, out, _ = run("apikey", "list")
			if st != exitOK || strings.Count(out, "live") != 2 || !strings.Contains(out, key.Prefix) || !strings.HasSuffix(out, "2 key(s)\n") {
				t.Errorf("apikey list: %d\n%s", st, out)
			}
			if st, out, _ := run("apikey", "revoke", "Support desk"); st != exitOK || !strings.Contains(out, "Revoked key") {
				t.Errorf("revoke: %d %q", st, out)
			}
			if _, err := models.APIKeyByToken(t.Context(), db, token); err == nil {
				t.Error("a revoked key still works")
			}
			if st, _, errOut := run("apikey", "revoke", "Support desk"); st != exitFailed || !strings.Contains(errOut, "no live key") {
				t.Errorf("revoking twice: %d %q", st, errOut)
			}
			if st, out, _ := run("apikey", "list"); st != exitOK || strings.Count(out, "revoked") != 1 {
				t.Errorf("list after revoke:\n%s", out)
			}
		})
	}
}
