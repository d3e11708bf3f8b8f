package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models/dbtest"
)

// run runs the command line with the environment's DATABASE_URL.
func run(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	st := Main(args, &out, &errOut)
	return st, out.String(), errOut.String()
}

// Moving a portal from SQLite to PostgreSQL is the README's two commands.
func TestMoveFromSQLiteToPostgreSQLInTwoCommands(t *testing.T) {
	dir := t.TempDir()
	sqlite := "sqlite:" + filepath.Join(dir, "portal.db")
	pg := dbtest.URL(t, "postgres")
	doc := filepath.Join(dir, "portal.json")
	t.Setenv("LOG_LEVEL", "error")

	t.Setenv("DATABASE_URL", sqlite)
	if st, _, errOut := run("seed", "--users", "20", "--ideas", "40", "--votes", "300"); st != exitOK {
		t.Fatalf("seed: %d %s", st, errOut)
	}
	st, out, errOut := run("export", "--out", doc)
	if st != exitOK || out != "" || !strings.Contains(errOut, "exported 20 users, 0 identities, 3 boards, 7 statuses, 40 ideas, 300 votes") {
		t.Fatalf("export: %d %q %q", st, out, errOut)
	}
	raw, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(raw, &head); err != nil || head.Format != "cluetrain" || head.Version != 1 {
		t.Fatalf("document head %+v %v", head, err)
	}

	t.Setenv("DATABASE_URL", pg)
	st, out, errOut = run("import", "cluetrain", doc)
	if st != exitOK || !strings.HasPrefix(out, "imported 20 users, 0 identities, 3 boards, 7 statuses, 40 ideas, 300 votes") {
		t.Fatalf("import: %d %q %q", st, out, errOut)
	}
	if st, out, _ := run("import", "cluetrain", doc); st != exitOK || !strings.Contains(out, "nothing changed") {
		t.Errorf("second import: %d %q", st, out)
	}
	// Standard output carries the same document.
	st, again, _ := run("export")
	if st != exitOK || !strings.HasPrefix(again, `{"format":"cluetrain","version":1,`) {
		t.Fatalf("export to standard output: %d %.80q", st, again)
	}
	// PostgreSQL is backed up with its own tools; the command says so.
	if st, _, errOut := run("backup", filepath.Join(dir, "pg.db")); st != exitFailed || !strings.Contains(errOut, "pg_dump") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("backup on PostgreSQL: %d %q", st, errOut)
	}

	t.Setenv("DATABASE_URL", sqlite)
	backup := filepath.Join(dir, "copy.db")
	if st, out, errOut := run("backup", backup); st != exitOK || !strings.HasPrefix(out, "backed up the database to "+backup) {
		t.Fatalf("backup: %d %q %q", st, out, errOut)
	}
	if st, _, errOut := run("backup", backup); st != exitFailed || !strings.Contains(errOut, "already exists") {
		t.Errorf("backup over a file: %d %q", st, errOut)
	}
}

func TestMovingCommandsRefuseBadInput(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DATABASE_URL", "sqlite:"+filepath.Join(dir, "portal.db"))
	t.Setenv("LOG_LEVEL", "error")
	for _, tc := range []struct {
		args []string
		want int
		says string
	}{
		{[]string{"import"}, exitUsage, "want a format and a file"},
		{[]string{"import", "trello", "x.json"}, exitUsage, `unknown format "trello"`},
		{[]string{"import", "cluetrain", filepath.Join(dir, "missing.json")}, exitFailed, "no such file"},
		{[]string{"export", "--bogus"}, exitUsage, "flag provided but not defined"},
		{[]string{"backup"}, exitUsage, "want one argument"},
	} {
		st, _, errOut := run(tc.args...)
		if st != tc.want || !strings.Contains(errOut, tc.says) {
			t.Errorf("%v: %d %q, want %d saying %q", tc.args, st, errOut, tc.want, tc.says)
		}
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"format":"cluetrain","version":1,"users":[{"id":1,`), 0o600); err != nil {
		t.Fatal(err)
	}
	st, _, errOut := run("import", "cluetrain", bad)
	if st != exitFailed || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "nothing was changed") {
		t.Errorf("truncated document: %d %q", st, errOut)
	}
	for _, cmd := range []string{"export", "import", "backup"} {
		if st, out, errOut := run(cmd, "--help"); st != exitOK || !strings.Contains(out+errOut, "Usage: cluetrain "+cmd) {
			t.Errorf("%s --help: %d %q %q", cmd, st, out, errOut)
		}
	}
}
