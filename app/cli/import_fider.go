package cli

import (
	"fmt"
	"io"
)

// importFider loads a Fider file.
func importFider(path string, _, stderr io.Writer) int {
	fmt.Fprintf(stderr, "cluetrain import fider: %s: this format cannot be read yet\n", path)
	return exitFailed
}
