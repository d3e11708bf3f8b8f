package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/cluetrain/cluetrain/models"
)

// importFider loads the zip that Fider's admin backup produces. The whole
// archive is read and checked before the database is opened, so a bad file
// changes nothing; then everything is written in one transaction.
func importFider(path string, stdout, stderr io.Writer) int {
	backup, err := readFiderBackup(path)
	if err != nil {
		fmt.Fprintf(stderr, "cluetrain import fider: %s: %v\n", path, err)
		return exitFailed
	}
	set, notes, err := fiderSet(backup, time.Now().UTC())
	if err != nil {
		fmt.Fprintf(stderr, "cluetrain import fider: %s: %v\n", path, err)
		return exitFailed
	}
	ctx := context.Background()
	_, _, db, st := setup(ctx, stderr)
	if st >= 0 {
		return st
	}
	defer db.Close()
	set.Progress = func(msg string) { fmt.Fprintf(stderr, "cluetrain import fider: %s\n", msg) }
	fmt.Fprintf(stderr, "cluetrain import fider: writing %d people, %d posts, %d votes, %d comments\n",
		len(set.People), len(set.Ideas), len(set.Votes), len(set.Comments))
	rep, err := models.Import(ctx, db, set)
	if err != nil {
		fmt.Fprintf(stderr, "cluetrain import fider: %s: %v (nothing was imported)\n", path, err)
		return exitFailed
	}
	printImportReport(stdout, "Fider backup "+path, rep, notes.lines())
	return exitOK
}

// printImportReport tells what an import did, what it skipped and why.
func printImportReport(w io.Writer, from string, rep *models.ImportReport, skipped []string) {
	fmt.Fprintf(w, "Imported from %s:\n", from)
	fmt.Fprintf(w, "  people:   %d new, %d matched to existing accounts, %d imported before\n", rep.People, rep.PeopleMatched, rep.PeopleKnown)
	fmt.Fprintf(w, "  boards:   %d new, %d existing reused, %d imported before\n", rep.Boards, rep.BoardsMatched, rep.BoardsKnown)
	fmt.Fprintf(w, "  ideas:    %d new (%d of them hidden), %d imported before\n", rep.Ideas, rep.HiddenIdeas, rep.IdeasKnown)
	fmt.Fprintf(w, "  votes:    %d new, %d imported before\n", rep.Votes, rep.VotesKnown)
	fmt.Fprintf(w, "  comments: %d new (%d of them hidden), %d imported before\n", rep.Comments, rep.HiddenComments, rep.CommentsKnown)
	if !rep.Changed() {
		fmt.Fprintln(w, "Nothing new: everything in it was imported before, and nothing was changed.")
	}
	if len(skipped) > 0 {
		fmt.Fprintln(w, "Skipped or changed:")
		for _, s := range skipped {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
}
