package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestCommandLine(t *testing.T) {
	var out, errOut bytes.Buffer
	for _, help := range []string{"help", "--help", "-h"} {
		out.Reset()
		if st := Main([]string{help}, &out, &errOut); st != 0 || !strings.Contains(out.String(), "Commands:") || !strings.Contains(out.String(), "seed") {
			t.Errorf("%s: status %d, output %q", help, st, out.String())
		}
	}
	for _, cmd := range []string{"serve", "migrate", "seed"} {
		out.Reset()
		errOut.Reset()
		if st := Main([]string{cmd, "--help"}, &out, &errOut); st != 0 {
			t.Errorf("%s --help: status %d", cmd, st)
		}
		if !strings.Contains(errOut.String(), "Usage: cluetrain "+cmd) {
			t.Errorf("%s --help printed %q", cmd, errOut.String())
		}
	}
	errOut.Reset()
	if st := Main([]string{"frobnicate"}, &out, &errOut); st != 2 {
		t.Errorf("unknown command: status %d, want 2", st)
	}

	// A bad value stops start-up with one line naming the variable, status 2.
	t.Setenv("PORT", "abc")
	errOut.Reset()
	if st := Main(nil, &out, &errOut); st != 2 {
		t.Errorf("PORT=abc: status %d, want 2", st)
	}
	if got := errOut.String(); strings.Count(got, "\n") != 1 || !strings.HasPrefix(got, "cluetrain: PORT: ") {
		t.Errorf("PORT=abc printed %q", got)
	}
	t.Setenv("PORT", "3000")
	t.Setenv("DATABASE_URL", "mongodb://x")
	errOut.Reset()
	if st := Main([]string{"migrate"}, &out, &errOut); st != 2 || !strings.HasPrefix(errOut.String(), "cluetrain: DATABASE_URL: ") {
		t.Errorf("DATABASE_URL=mongodb: status %d, printed %q", st, errOut.String())
	}
}

func TestSeedCommandRefusesNonEmptyDatabase(t *testing.T) {
	t.Setenv("DATABASE_URL", "sqlite:"+t.TempDir()+"/seed.db")
	var out, errOut bytes.Buffer
	if st := Main([]string{"seed", "--users", "3", "--ideas", "4", "--votes", "5"}, &out, &errOut); st != 0 {
		t.Fatalf("seed: status %d: %s", st, errOut.String())
	}
	if !strings.Contains(out.String(), "seeded 3 users, 4 ideas, 5 votes") {
		t.Errorf("seed printed %q", out.String())
	}
	errOut.Reset()
	if st := Main([]string{"seed", "--users", "3", "--ideas", "4", "--votes", "5"}, &out, &errOut); st != 1 || !strings.Contains(errOut.String(), "--force") {
		t.Errorf("second seed: status %d, printed %q", st, errOut.String())
	}
	out.Reset()
	if st := Main([]string{"seed", "--users", "3", "--ideas", "4", "--votes", "5", "--force"}, &out, &errOut); st != 0 {
		t.Errorf("seed --force: status %d: %s", st, errOut.String())
	}
}

// A long seed says how far it has got on standard error, every 10,000 rows
// of a table, and sums up on standard output.
func TestSeedCommandReportsProgress(t *testing.T) {
	t.Setenv("DATABASE_URL", "sqlite:"+t.TempDir()+"/seed.db")
	var out, errOut bytes.Buffer
	if st := Main([]string{"seed", "--users", "100", "--ideas", "200", "--votes", "12000"}, &out, &errOut); st != 0 {
		t.Fatalf("seed: status %d: %s", st, errOut.String())
	}
	if got := strings.Count(errOut.String(), "seeded 10000 votes…\n"); got != 1 || strings.Contains(errOut.String(), "seeded 12000") {
		t.Errorf("progress %q, want one line at 10,000 votes", errOut.String())
	}
	if !strings.HasPrefix(out.String(), "seeded 100 users, 200 ideas, 12000 votes") {
		t.Errorf("summary %q", out.String())
	}
}
