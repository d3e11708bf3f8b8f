package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/cluetrain/cluetrain/models"
)

const usersUsage = `Usage: cluetrain users COMMAND

Manage accounts in $DATABASE_URL.

Commands:
  list                   list every account with its role
  set-role EMAIL ROLE    make the account admin, staff or member
  block EMAIL            stop the account posting, voting and commenting (it can still read)
  unblock EMAIL          let a blocked account write again

Roles other than member, blocks and unblocks go only to an address its
owner has verified by signing in.
`

func runUsers(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usersUsage)
		return exitUsage
	}
	want := map[string]int{"list": 0, "set-role": 2, "block": 1, "unblock": 1}
	sub, rest := args[0], args[1:]
	if sub == "--help" || sub == "-h" || sub == "help" {
		fmt.Fprint(stdout, usersUsage)
		return exitOK
	}
	n, ok := want[sub]
	if !ok {
		fmt.Fprintf(stderr, "cluetrain users: unknown command %q\n\n%s", sub, usersUsage)
		return exitUsage
	}
	for _, a := range rest {
		if a == "--help" || a == "-h" {
			fmt.Fprint(stdout, usersUsage)
			return exitOK
		}
	}
	if len(rest) != n {
		fmt.Fprintf(stderr, "cluetrain users %s: want %d argument(s), got %d\n\n%s", sub, n, len(rest), usersUsage)
		return exitUsage
	}
	ctx := context.Background()
	_, _, db, st := setup(ctx, stderr)
	if st >= 0 {
		return st
	}
	defer db.Close()

	var (
		u   *models.User
		err error
	)
	switch sub {
	case "list":
		return listUsers(ctx, db, stdout, stderr)
	case "set-role":
		u, err = models.SetUserRole(ctx, db, rest[0], rest[1])
	case "block":
		u, err = models.BlockUser(ctx, db, rest[0])
	case "unblock":
		u, err = models.UnblockUser(ctx, db, rest[0])
	}
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve) && ve.Fields["role"] != "":
		fmt.Fprintf(stderr, "cluetrain users %s: %s\n", sub, ve.Fields["role"])
		return exitUsage
	case errors.As(err, &ve):
		// The address belongs to an account that never proved it.
		fmt.Fprintf(stderr, "cluetrain users %s: %s\n", sub, ve.Fields["email"])
		return exitFailed
	case errors.Is(err, models.ErrNotFound):
		fmt.Fprintf(stderr, "cluetrain users %s: no account has the address %s\n", sub, rest[0])
		return exitFailed
	case err != nil:
		fmt.Fprintf(stderr, "cluetrain users %s: %v\n", sub, err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "%s is now %s\n", u.EmailAddress(), describeAccess(u))
	return exitOK
}

func listUsers(ctx context.Context, db *models.DB, stdout, stderr io.Writer) int {
	users, err := models.ListUsers(ctx, db)
	if err != nil {
		fmt.Fprintf(stderr, "cluetrain users list: %v\n", err)
		return exitFailed
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tEMAIL\tNAME\tROLE\tSTATE")
	for i := range users {
		u := &users[i]
		email := u.EmailAddress()
		if email == "" {
			email = "-"
		} else if !u.EmailVerified {
			email += " (unverified)"
		}
		state := "active"
		if u.BlockedAt != nil {
			state = "blocked"
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", u.ID, email, u.Name, u.Role, state)
	}
	if err := w.Flush(); err != nil {
		return exitFailed
	}
	return exitOK
}

func describeAccess(u *models.User) string {
	if u.BlockedAt != nil {
		return u.Role + " (blocked)"
	}
	return u.Role
}
