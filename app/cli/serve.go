package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cluetrain/cluetrain/app"
)

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

	a, err := app.New(ctx, cfg, db, log)
	if err != nil {
		log.Error("start", "err", err)
		return exitFailed
	}
	if err := a.Serve(ctx, fmt.Sprintf(":%d", cfg.PortNumber), *drain); err != nil {
		log.Error("serve", "err", err)
		return exitFailed
	}
	log.Info("stopped")
	return exitOK
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
