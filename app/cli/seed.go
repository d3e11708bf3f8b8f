package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/cluetrain/cluetrain/models"
)

func runSeed(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("seed", "Fill the database with deterministic demo data: the same flags give the same data.", stderr)
	opt := models.SeedOptions{}
	fs.IntVar(&opt.Users, "users", 50, "number of users")
	fs.IntVar(&opt.Ideas, "ideas", 120, "number of ideas")
	fs.IntVar(&opt.Votes, "votes", 1500, "number of votes (at most users × ideas)")
	fs.Int64Var(&opt.Seed, "seed", 1, "random seed")
	fs.BoolVar(&opt.Force, "force", false, "seed even if the database already has ideas")
	fs.IntVar(&opt.Companies, "companies", 0, "make most people customers of this many companies, with plans and revenue (0: none)")
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	if opt.Users < 1 || opt.Ideas < 0 || opt.Votes < 0 || opt.Companies < 0 {
		fmt.Fprintln(stderr, "cluetrain seed: --users must be at least 1; --ideas, --votes and --companies at least 0")
		return exitUsage
	}
	ctx := context.Background()
	_, _, db, st := setup(ctx, stderr)
	if st >= 0 {
		return st
	}
	defer db.Close()
	start := time.Now()
	opt.Progress = progressTo(stderr, "seeded")
	res, err := models.Seed(ctx, db, opt)
	if err != nil {
		fmt.Fprintf(stderr, "cluetrain seed: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "seeded %d users, %d ideas, %d votes, %d comments in %s\n",
		res.Users, res.Ideas, res.Votes, res.Comments, time.Since(start).Round(time.Millisecond))
	return exitOK
}
