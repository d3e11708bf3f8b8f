package cli

import (
	"fmt"
	"io"
)

func runExport(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "cluetrain export: not ready")
	return exitFailed
}

func importCluetrain(path string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "cluetrain import cluetrain: not ready")
	return exitFailed
}

func runBackup(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "cluetrain backup: not ready")
	return exitFailed
}
