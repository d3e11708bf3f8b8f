// Package cli is the cluetrain command line: each command parses its flags,
// opens the database through models and calls app or models like any other
// client. A new command is a file here and a line in commands().
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/cluetrain/cluetrain/app"
	"github.com/cluetrain/cluetrain/models"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// dbWait is how long start-up waits for an unreachable database.
const dbWait = 30 * time.Second

type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "serve the portal (the default)", runServe},
		{"migrate", "apply database migrations and exit", runMigrate},
		{"seed", "fill the database with deterministic demo data", runSeed},
		{"users", "list accounts, set roles, block and unblock", runUsers},
		{"apikey", "create, list and revoke keys for the API", runAPIKey},
		{"export", "write the whole portal as one JSON document", runExport},
		{"import", "load a portal from a Cluetrain export, a Fider backup or a CSV file", runImport},
		{"backup", "write a consistent copy of a live SQLite database", runBackup},
		{"help", "show this list", nil},
	}
}

// Main runs the command line and returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
		usage(stdout)
		return exitOK
	}
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	for _, cmd := range commands() {
		if cmd.name == name && cmd.run != nil {
			return cmd.run(args, stdout, stderr)
		}
	}
	if name == "help" {
		usage(stdout)
		return exitOK
	}
	fmt.Fprintf(stderr, "cluetrain: unknown command %q\n\n", name)
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Cluetrain: a customer feedback and roadmap portal.")
	fmt.Fprintln(w, "\nUsage: cluetrain [command] [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprintln(w, "\nRun 'cluetrain COMMAND --help' for a command's flags. Configuration comes from the")
	fmt.Fprintln(w, "environment: PORT, BASE_URL, DATABASE_URL, SECRET_KEY, ADMIN_EMAILS, SMTP_URL, ...")
}

// newFlags makes a flag set whose --help prints the summary and flags.
func newFlags(name, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: cluetrain %s [flags]\n\n%s\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags returns the exit status to stop with, or -1 to go on.
func parseFlags(fs *flag.FlagSet, args []string) int {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "cluetrain %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return exitUsage
	}
	return -1
}

// environ is the process environment as a map.
func environ() map[string]string {
	m := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// setup loads the configuration and opens and migrates the database.
func setup(ctx context.Context, stderr io.Writer) (app.Config, *slog.Logger, *models.DB, int) {
	cfg, err := app.LoadConfig(environ())
	if err != nil {
		fmt.Fprintf(stderr, "cluetrain: %v\n", err)
		return cfg, nil, nil, exitUsage
	}
	log := newLogger(stderr, cfg.LogLevel)
	db, err := models.Open(ctx, cfg.DatabaseURL, dbWait, log)
	if err != nil {
		fmt.Fprintf(stderr, "cluetrain: %v\n", err)
		return cfg, log, nil, exitFailed
	}
	if err := models.Migrate(ctx, db, log); err != nil {
		_ = db.Close()
		fmt.Fprintf(stderr, "cluetrain: %v\n", err)
		return cfg, log, nil, exitFailed
	}
	return cfg, log, db, -1
}
