package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

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
func setup(ctx context.Context, stderr io.Writer) (Config, *slog.Logger, *models.DB, int) {
	cfg, err := LoadConfig(environ())
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

func runServe(args []string, _, stderr io.Writer) int {
	fs := newFlags("serve", "Serve the portal on $PORT until SIGINT or SIGTERM, then drain requests for up to --drain.", stderr)
	drain := fs.Duration("drain", 10*time.Second, "how long to let in-flight requests finish at shutdown")
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, log, db, st := setup(ctx, stderr)
	if st >= 0 {
		return st
	}
	defer db.Close()

	a, err := New(ctx, cfg, db, log)
	if err != nil {
		log.Error("start", "err", err)
		return exitFailed
	}
	go a.purgeLoop(ctx)
	if err := a.Serve(ctx, fmt.Sprintf(":%d", cfg.PortNumber), *drain); err != nil {
		log.Error("serve", "err", err)
		return exitFailed
	}
	log.Info("stopped")
	return exitOK
}

// purgeLoop deletes expired sessions and sign-in links every hour.
func (a *App) purgeLoop(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := models.PurgeExpired(ctx, a.db); err != nil && ctx.Err() == nil {
			a.log.Warn("purge expired sessions", "err", err)
		} else if n > 0 {
			a.log.Info("purged expired sessions and links", "rows", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func runMigrate(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("migrate", "Apply pending database migrations to $DATABASE_URL and exit.", stderr)
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	_, _, db, st := setup(context.Background(), stderr)
	if st >= 0 {
		return st
	}
	defer db.Close()
	fmt.Fprintln(stdout, "migrations applied")
	return exitOK
}

func runSeed(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("seed", "Fill the database with deterministic demo data: the same flags give the same data.", stderr)
	opt := models.SeedOptions{}
	fs.IntVar(&opt.Users, "users", 50, "number of users")
	fs.IntVar(&opt.Ideas, "ideas", 120, "number of ideas")
	fs.IntVar(&opt.Votes, "votes", 1500, "number of votes (at most users × ideas)")
	fs.Int64Var(&opt.Seed, "seed", 1, "random seed")
	fs.BoolVar(&opt.Force, "force", false, "seed even if the database already has ideas")
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	if opt.Users < 1 || opt.Ideas < 0 || opt.Votes < 0 {
		fmt.Fprintln(stderr, "cluetrain seed: --users must be at least 1; --ideas and --votes at least 0")
		return exitUsage
	}
	ctx := context.Background()
	_, _, db, st := setup(ctx, stderr)
	if st >= 0 {
		return st
	}
	defer db.Close()
	start := time.Now()
	res, err := models.Seed(ctx, db, opt)
	if err != nil {
		fmt.Fprintf(stderr, "cluetrain seed: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "seeded %d users, %d ideas, %d votes, %d comments in %s\n",
		res.Users, res.Ideas, res.Votes, res.Comments, time.Since(start).Round(time.Millisecond))
	return exitOK
}
