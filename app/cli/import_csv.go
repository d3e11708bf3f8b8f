package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/cluetrain/cluetrain/models"
)

// importCSV loads ideas from a CSV file with a header row (the README lists
// the columns). Every row is checked before anything is written; one bad
// row stops the import, and each bad row is reported with its line.
func importCSV(path string, stdout, stderr io.Writer) int {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(stderr, "cluetrain import csv: %v\n", err)
		return exitFailed
	}
	rows, problems, err := readCSV(f)
	_ = f.Close()
	if err != nil {
		fmt.Fprintf(stderr, "cluetrain import csv: %s: %v\n", path, err)
		return exitFailed
	}
	ctx := context.Background()
	_, _, db, st := setup(ctx, stderr)
	if st >= 0 {
		return st
	}
	defer db.Close()
	statuses, err := models.Statuses(ctx, db)
	if err != nil {
		fmt.Fprintf(stderr, "cluetrain import csv: %v\n", err)
		return exitFailed
	}
	set, more := csvSet(rows, statuses, time.Now().UTC())
	if problems = append(problems, more...); len(problems) > 0 {
		slices.SortStableFunc(problems, func(a, b csvProblem) int { return a.line - b.line })
		return reportCSVProblems(path, problems, stderr)
	}
	set.Progress = func(msg string) { fmt.Fprintf(stderr, "cluetrain import csv: %s\n", msg) }
	rep, err := models.Import(ctx, db, set)
	if err != nil {
		fmt.Fprintf(stderr, "cluetrain import csv: %s: %v (nothing was imported)\n", path, err)
		return exitFailed
	}
	printImportReport(stdout, "CSV file "+path, rep, nil)
	return exitOK
}

// reportCSVProblems prints one line per bad row, then what happened.
func reportCSVProblems(path string, problems []csvProblem, stderr io.Writer) int {
	for _, p := range problems {
		fmt.Fprintf(stderr, "%s:%d: %s\n", path, p.line, p.msg)
	}
	fmt.Fprintf(stderr, "cluetrain import csv: %d bad row(s); nothing was imported\n", len(problems))
	return exitFailed
}
