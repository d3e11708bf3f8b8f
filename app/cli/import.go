package cli

import (
	"fmt"
	"io"
)

const importUsage = `Usage: cluetrain import FORMAT FILE

Load ideas, people, votes and comments into $DATABASE_URL, creating and
migrating the database when it does not exist yet. Running an import twice
changes nothing the second time.

Formats:
  cluetrain FILE    a document written by 'cluetrain export', into an empty portal
  fider FILE        the zip that Fider's admin backup produces
  csv FILE          a CSV file with a header row (see the README)
`

// importer loads one format; it returns the exit status.
type importer func(path string, stdout, stderr io.Writer) int

func runImport(args []string, stdout, stderr io.Writer) int {
	importers := map[string]importer{
		"cluetrain": importCluetrain,
		"fider":     importFider,
		"csv":       importCSV,
	}
	for _, a := range args {
		if a == "--help" || a == "-h" || a == "help" {
			fmt.Fprint(stdout, importUsage)
			return exitOK
		}
	}
	if len(args) != 2 {
		fmt.Fprintf(stderr, "cluetrain import: want a format and a file, got %d argument(s)\n\n%s", len(args), importUsage)
		return exitUsage
	}
	run, ok := importers[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "cluetrain import: unknown format %q (want cluetrain, fider or csv)\n", args[0])
		return exitUsage
	}
	return run(args[1], stdout, stderr)
}
