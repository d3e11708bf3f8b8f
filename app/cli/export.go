package cli

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cluetrain/cluetrain/models"
)

// exportTables names the tables of a document in the order a summary
// lists them.
var exportTables = []string{"users", "identities", "boards", "statuses", "ideas", "votes", "comments", "subscriptions", "events"}

func runExport(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("export", "Write the whole portal in $DATABASE_URL as one JSON document (no secrets, sessions or keys),\nto --out or standard output. 'cluetrain import cluetrain FILE' loads it into an empty portal.", stderr)
	out := fs.String("out", "", "write to this file (replaced only once the document is complete) instead of standard output")
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	ctx := context.Background()
	_, _, db, st := setup(ctx, stderr)
	if st >= 0 {
		return st
	}
	defer db.Close()

	start := time.Now()
	w := stdout
	var tmp *os.File
	if *out != "" {
		var err error
		tmp, err = os.CreateTemp(filepath.Dir(*out), ".cluetrain-export-*")
		if err != nil {
			fmt.Fprintf(stderr, "cluetrain export: %v\n", err)
			return exitFailed
		}
		defer os.Remove(tmp.Name())
		w = tmp
	}
	buf := bufio.NewWriterSize(w, 1<<16)
	counts, err := models.Export(ctx, db, buf, progressTo(stderr, "exported"))
	if err == nil {
		err = buf.Flush()
	}
	if err == nil && tmp != nil {
		if err = tmp.Close(); err == nil {
			err = os.Rename(tmp.Name(), *out)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "cluetrain export: %v\n", err)
		return exitFailed
	}
	where := "standard output"
	if *out != "" {
		where = *out
	}
	fmt.Fprintf(stderr, "exported %s to %s in %s\n", summary(counts), where, time.Since(start).Round(time.Millisecond))
	return exitOK
}

func importCluetrain(path string, stdout, stderr io.Writer) int {
	digest, err := fileDigest(path)
	if err != nil {
		fmt.Fprintf(stderr, "cluetrain import cluetrain: %v\n", err)
		return exitFailed
	}
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(stderr, "cluetrain import cluetrain: %v\n", err)
		return exitFailed
	}
	defer f.Close()
	ctx := context.Background()
	_, _, db, st := setup(ctx, stderr)
	if st >= 0 {
		return st
	}
	defer db.Close()
	start := time.Now()
	res, err := models.ImportCluetrain(ctx, db, bufio.NewReaderSize(f, 1<<16), digest, progressTo(stderr, "loaded"))
	switch {
	case errors.Is(err, models.ErrAlreadyImported):
		fmt.Fprintf(stdout, "%s was imported here already; nothing changed\n", path)
		return exitOK
	case err != nil:
		fmt.Fprintf(stderr, "cluetrain import cluetrain: %s: %v (nothing was changed)\n", path, strings.TrimPrefix(err.Error(), "import: "))
		return exitFailed
	}
	fmt.Fprintf(stdout, "imported %s in %s", summary(res.Counts), time.Since(start).Round(time.Millisecond))
	if res.Corrected > 0 {
		fmt.Fprintf(stdout, "; %d ideas' counters did not match their rows and were set from them", res.Corrected)
	}
	fmt.Fprintln(stdout)
	return exitOK
}

func runBackup(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("backup", "Write a consistent copy of the live SQLite database in $DATABASE_URL to FILE, while the portal\nkeeps serving. FILE must not exist. For PostgreSQL, use pg_dump.", stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: cluetrain backup FILE\n\nWrite a consistent copy of the live SQLite database in $DATABASE_URL to FILE, while the portal\nkeeps serving. FILE must not exist. For PostgreSQL, use pg_dump.\n")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "cluetrain backup: want one argument, the file to write")
		return exitUsage
	}
	path := fs.Arg(0)
	if _, err := os.Stat(path); err == nil {
		fmt.Fprintf(stderr, "cluetrain backup: %s already exists; choose a new file\n", path)
		return exitFailed
	}
	ctx := context.Background()
	_, _, db, st := setup(ctx, stderr)
	if st >= 0 {
		return st
	}
	defer db.Close()
	start := time.Now()
	if err := models.Backup(ctx, db, path); err != nil {
		fmt.Fprintf(stderr, "cluetrain backup: %v\n", err)
		return exitFailed
	}
	info, err := os.Stat(path)
	if err != nil {
		fmt.Fprintf(stderr, "cluetrain backup: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "backed up the database to %s (%d KB) in %s\n", path, info.Size()/1024, time.Since(start).Round(time.Millisecond))
	return exitOK
}

// progressTo reports a table's rows on stderr every 10,000 rows and at its
// end.
func progressTo(stderr io.Writer, verb string) models.ExportProgress {
	last := map[string]int{}
	return func(table string, rows int) {
		if rows-last[table] >= 10000 {
			fmt.Fprintf(stderr, "%s %d %s…\n", verb, rows, table)
			last[table] = rows
		}
	}
}

// summary says the counts of a document in words.
func summary(c models.ExportCounts) string {
	parts := make([]string, 0, len(exportTables))
	for _, t := range exportTables {
		parts = append(parts, fmt.Sprintf("%d %s", c[t], t))
	}
	return strings.Join(parts, ", ")
}

// fileDigest is the SHA-256 of a file, naming a document.
func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
