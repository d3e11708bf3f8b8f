package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/cluetrain/cluetrain/models"
)

const apikeyUsage = `Usage: cluetrain apikey COMMAND

Manage the keys programs use for the API (/api/v1) in $DATABASE_URL.

Commands:
  create --name NAME [--scope read|write]   make a key; it is printed once, as the last line
  list                                      list keys with their prefix, scope and state
  revoke ID|NAME|PREFIX                     revoke a live key

A key acts as a staff account named "API: NAME"; a read key cannot write.
`

func runAPIKey(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, apikeyUsage)
		return exitUsage
	}
	sub, rest := args[0], args[1:]
	for _, a := range args {
		if a == "--help" || a == "-h" || a == "help" {
			fmt.Fprint(stdout, apikeyUsage)
			return exitOK
		}
	}
	var name, scope, which string
	switch sub {
	case "create":
		fs := newFlags("apikey create", "Make an API key.", stderr)
		fs.StringVar(&name, "name", "", "what the key is for (required)")
		fs.StringVar(&scope, "scope", models.ScopeWrite, "read or write")
		if st := parseFlags(fs, rest); st >= 0 {
			return st
		}
		if name == "" {
			fmt.Fprintln(stderr, "cluetrain apikey create: --name is required")
			return exitUsage
		}
		if scope != models.ScopeRead && scope != models.ScopeWrite {
			fmt.Fprintf(stderr, "cluetrain apikey create: --scope %q is not read or write\n", scope)
			return exitUsage
		}
	case "list":
		if len(rest) != 0 {
			fmt.Fprintf(stderr, "cluetrain apikey list: unexpected argument %q\n", rest[0])
			return exitUsage
		}
	case "revoke":
		if len(rest) != 1 {
			fmt.Fprintln(stderr, "cluetrain apikey revoke: want one key id, name or prefix")
			return exitUsage
		}
		which = rest[0]
	default:
		fmt.Fprintf(stderr, "cluetrain apikey: unknown command %q\n\n%s", sub, apikeyUsage)
		return exitUsage
	}

	ctx := context.Background()
	_, _, db, st := setup(ctx, stderr)
	if st >= 0 {
		return st
	}
	defer db.Close()

	switch sub {
	case "create":
		key, token, err := models.CreateAPIKey(ctx, db, name, scope)
		var ve *models.ValidationError
		if errors.As(err, &ve) {
			for _, f := range []string{"name", "scope"} {
				if msg := ve.Fields[f]; msg != "" {
					fmt.Fprintf(stderr, "cluetrain apikey create: %s\n", msg)
					return exitUsage
				}
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "cluetrain apikey create: %v\n", err)
			return exitFailed
		}
		fmt.Fprintf(stdout, "Created %s key %q (id %d, prefix %s), acting as %q.\n", key.Scope, key.Name, key.ID, key.Prefix, key.User.Name)
		fmt.Fprintln(stdout, "Keep the key now: it is not stored and cannot be shown again.")
		fmt.Fprintln(stdout, token)
	case "list":
		keys, err := models.APIKeys(ctx, db)
		if err != nil {
			fmt.Fprintf(stderr, "cluetrain apikey list: %v\n", err)
			return exitFailed
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tSCOPE\tCREATED\tSTATE")
		for _, k := range keys {
			state := "live"
			if k.RevokedAt != nil {
				state = "revoked " + k.RevokedAt.Format("2006-01-02")
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Prefix, k.Scope, k.CreatedAt.Format("2006-01-02"), state)
		}
		_ = tw.Flush()
		fmt.Fprintf(stdout, "%d key(s)\n", len(keys))
	case "revoke":
		key, err := models.RevokeAPIKey(ctx, db, which)
		if errors.Is(err, models.ErrNotFound) {
			fmt.Fprintf(stderr, "cluetrain apikey revoke: no live key has the id, name or prefix %q\n", which)
			return exitFailed
		}
		if err != nil {
			fmt.Fprintf(stderr, "cluetrain apikey revoke: %v\n", err)
			return exitFailed
		}
		fmt.Fprintf(stdout, "Revoked key %q (id %d, prefix %s).\n", key.Name, key.ID, key.Prefix)
	}
	return exitOK
}
