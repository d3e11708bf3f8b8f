package public

import (
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"
)

// budget is the most CSS and JavaScript, uncompressed, that a page may ship.
const budget = 60 * 1024

func TestAssetsFitTheBudget(t *testing.T) {
	total := 0
	err := fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := path.Ext(p); ext == ".css" || ext == ".js" {
			b, err := fs.ReadFile(FS, p)
			if err != nil {
				return err
			}
			t.Logf("%s: %d bytes", p, len(b))
			total += len(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total == 0 {
		t.Fatal("no CSS or JavaScript embedded")
	}
	if total > budget {
		t.Errorf("CSS and JavaScript add up to %d bytes, over the budget of %d", total, budget)
	}
}

// Everything a page loads comes from the portal itself: no web fonts, CDNs
// or other hosts (the Content-Security-Policy would block them anyway).
func TestAssetsLoadNothingFromElsewhere(t *testing.T) {
	external := regexp.MustCompile(`(?i)https?:|url\(\s*['"]?//|@import|@font-face`)
	for _, name := range []string{"style.css", "app.js"} {
		b, err := fs.ReadFile(FS, name)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if external.MatchString(line) {
				t.Errorf("%s:%d reaches outside the portal: %s", name, i+1, strings.TrimSpace(line))
			}
		}
	}
}
