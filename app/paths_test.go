package app

import (
	"testing"

	"github.com/cluetrain/cluetrain/models"
)

func TestParseIdeaRef(t *testing.T) {
	for ref, want := range map[string]int64{
		"12": 12, " #7 ": 7, "/ideas/12/dark-mode": 12, "/ideas/12": 12,
		"http://portal.test/ideas/34/x?y=1": 34, "": 0, "abc": 0, "/boards/3": 0, "-4": 0, "0": 0,
	} {
		if got := parseIdeaRef(ref); got != want {
			t.Errorf("parseIdeaRef(%q) = %d, want %d", ref, got, want)
		}
	}
}

func TestIdeaPaths(t *testing.T) {
	if got := ideaPath(42, "dark-mode"); got != "/ideas/42/dark-mode" {
		t.Errorf("ideaPath = %q", got)
	}
	if got := commentPath(42, "dark-mode", 7); got != "/ideas/42/dark-mode#comment-7" {
		t.Errorf("commentPath = %q", got)
	}
	if got := parseIdeaRef(ideaPath(42, "dark-mode")); got != 42 {
		t.Errorf("a pasted idea path reads as %d", got)
	}
}

// Every sort the models offer has a label in the menu, and nothing else is
// in it.
func TestSortMenuNamesEverySort(t *testing.T) {
	if len(sortMenu) != len(models.Sorts) {
		t.Fatalf("menu has %d sorts, models %d", len(sortMenu), len(models.Sorts))
	}
	for i, k := range models.Sorts {
		if sortMenu[i].Key != k || sortMenu[i].Label == "" {
			t.Errorf("menu entry %d is %+v, want %q with a label", i, sortMenu[i], k)
		}
	}
	if searchSortMenu[0].Key != models.SortRelevance || len(searchSortMenu) != len(sortMenu)+1 {
		t.Errorf("search menu %+v", searchSortMenu)
	}
}
