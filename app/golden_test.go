package app

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// checkGolden compares got with testdata/name, or rewrites the file under
// -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (run with -update after checking the change):\n--- got\n%s", name, got)
	}
}

var mainElement = regexp.MustCompile(`(?s)<main[^>]*>.*</main>`)

// mainOf is a page's <main> element.
func mainOf(t *testing.T, page string) string {
	t.Helper()
	m := mainElement.FindString(page)
	if m == "" {
		t.Fatal("page has no <main> element")
	}
	return m + "\n"
}
