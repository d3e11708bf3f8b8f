package models_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func titles(ideas []models.Idea) []string {
	out := make([]string, len(ideas))
	for i := range ideas {
		out[i] = ideas[i].Title
	}
	return out
}

func search(t *testing.T, db *models.DB, q models.IdeaQuery) models.IdeaPage {
	t.Helper()
	page, err := models.SearchIdeas(context.Background(), db, q)
	if err != nil {
		t.Fatalf("search %q: %v", q.Search, err)
	}
	return page
}

func TestSearchStemsRanksAndHides(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		ada := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleMember)
		staff := dbtest.User(t, db, "Sam", "sam@example.com", models.RoleStaff)
		dbtest.Board(t, db, "internal", true)
		inBody := dbtest.PostIdea(t, db, ada, "Customisable colours", "Let us pick a theme for the dashboard.")
		inTitle := dbtest.PostIdea(t, db, ada, "Dashboard themes", "Dark and light.")
		dbtest.PostIdea(t, db, ada, "Export invoices", "As CSV please.")
		hidden := dbtest.PostIdea(t, db, ada, "Hidden theme idea", "")
		merged := dbtest.PostIdea(t, db, ada, "Merged theme idea", "")
		if err := models.HideIdea(ctx, db, hidden.ID, staff, true); err != nil {
			t.Fatal(err)
		}
		if _, err := models.MergeIdea(ctx, db, merged.ID, inTitle.ID, staff); err != nil {
			t.Fatal(err)
		}
		secret, err := models.CreateIdea(ctx, db, models.NewIdea{Author: staff, Board: "internal", Title: "Internal theme work"})
		if err != nil {
			t.Fatal(err)
		}

		// "themes" finds "theme", "theming" finds "themes"; the title match ranks first.
		for _, q := range []string{"themes", "theme", "THEMING"} {
			got := titles(search(t, db, models.IdeaQuery{Search: q}).Ideas)
			if strings.Join(got, "|") != "Dashboard themes|Customisable colours" {
				t.Errorf("search %q = %q", q, got)
			}
		}
		// Staff see the private board's idea, never hidden or merged ones here.
		got := search(t, db, models.IdeaQuery{Search: "theme", Viewer: staff}).Ideas
		if len(got) != 3 || got[0].ID == hidden.ID || got[2].ID == merged.ID {
			t.Errorf("staff search = %q", titles(got))
		}
		found := false
		for _, i := range got {
			found = found || i.ID == secret.ID
		}
		if !found {
			t.Errorf("staff search lacks the private idea: %q", titles(got))
		}
		// All words must match.
		if got := titles(search(t, db, models.IdeaQuery{Search: "dashboard dark"}).Ideas); len(got) != 1 || got[0] != "Dashboard themes" {
			t.Errorf("two-word search = %q", got)
		}
		// Other sorts order the matches by their column.
		if _, err := models.VoteFor(ctx, db, inBody.ID, ada.ID); err != nil {
			t.Fatal(err)
		}
		if got := search(t, db, models.IdeaQuery{Search: "theme", Sort: models.SortTop}).Ideas; len(got) != 2 || got[0].ID != inBody.ID {
			t.Errorf("top among matches = %q", titles(got))
		}
		// Similar ideas match any word.
		sim, err := models.SimilarIdeas(ctx, db, "Themes for invoices?", nil, 5)
		if err != nil || len(sim) != 3 {
			t.Errorf("similar = %q, %v", titles(sim), err)
		}
		// While typing, the last word may be cut short: it matches as a prefix.
		for _, typed := range []string{"Dashb", "dark dashbo", "Dashboard"} {
			sim, err := models.SimilarIdeas(ctx, db, typed, nil, 5)
			if err != nil || len(sim) == 0 || sim[0].Title != "Dashboard themes" {
				t.Errorf("similar to %q = %q, %v", typed, titles(sim), err)
			}
		}
		// Only the last word: "dashb" typed before another word is a word.
		if sim, err := models.SimilarIdeas(ctx, db, "dashb zzzz", nil, 5); err != nil || len(sim) != 0 {
			t.Errorf("similar to a finished non-word = %q, %v", titles(sim), err)
		}
		// ListIdeas searches when given text, and marks the viewer's votes.
		page, err := models.ListIdeas(ctx, db, models.IdeaQuery{Search: "theme", Viewer: ada})
		if err != nil || len(page.Ideas) != 2 || !page.Ideas[1].Voted || page.Ideas[0].Voted {
			t.Errorf("ListIdeas search = %q %v", titles(page.Ideas), err)
		}
	})
}

func TestSearchPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ada := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleMember)
		for i := 0; i < 7; i++ {
			dbtest.PostIdea(t, db, ada, "Report idea "+strings.Repeat("report ", i%3), strings.Repeat("more words ", i))
		}
		for _, sort := range []string{models.SortRelevance, models.SortNew, models.SortTop, models.SortActive} {
			seen := map[int64]bool{}
			q := models.IdeaQuery{Search: "reports", Sort: sort, Limit: 3}
			pages := 0
			for {
				page := search(t, db, q)
				pages++
				for _, i := range page.Ideas {
					if seen[i.ID] {
						t.Fatalf("%s: idea %d listed twice", sort, i.ID)
					}
					seen[i.ID] = true
				}
				if page.Next == "" {
					break
				}
				q.After = page.Next
			}
			if len(seen) != 7 || pages != 3 {
				t.Errorf("%s: %d ideas over %d pages, want 7 over 3", sort, len(seen), pages)
			}
		}
	})
}

// hostileQueries are inputs that break naive FTS5 MATCH or tsquery use.
var hostileQueries = []string{
	`"`, `""`, `"unbalanced`, `(`, `)`, `((a)`, `a OR`, `OR`, `AND NOT`, `NEAR(a b)`, `a*`, `*`, `^a`,
	`title:a`, `-a`, `a - b`, `col:`, `'`, `';DROP TABLE ideas;--`, "\x00", "a\x00b", "\xff\xfe", `\`,
	`a & b | !c`, `<->`, `:*`, `!!!`, "\u202e", strings.Repeat("a(", 5000), strings.Repeat("x", 10000),
	strings.Repeat(`"x" `, 2500), "😀 emoji",
}

func TestSearchSurvivesHostileInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		ada := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleMember)
		dbtest.PostIdea(t, db, ada, "A title", "a body OR b")
		for _, q := range hostileQueries {
			if _, err := models.SearchIdeas(ctx, db, models.IdeaQuery{Search: q}); err != nil {
				t.Errorf("search %q: %v", excerpt(q), err)
			}
			if _, err := models.SimilarIdeas(ctx, db, q, nil, 5); err != nil {
				t.Errorf("similar %q: %v", excerpt(q), err)
			}
		}
	})
}

func excerpt(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// FuzzSearch throws arbitrary text at the search path (term extraction and
// the query on SQLite): it must never fail, and every term it extracts must
// be a plain word.
func FuzzSearch(f *testing.F) {
	for _, q := range hostileQueries[:20] {
		f.Add(q)
	}
	db := dbtest.Open(f, "sqlite")
	u := dbtest.User(f, db, "Ada", "ada@example.com", models.RoleMember)
	dbtest.PostIdea(f, db, u, "Dark mode for reports", "Themes and colours, quoted \"words\" (and parens)")
	f.Fuzz(func(t *testing.T, q string) {
		for _, term := range models.SearchTerms(q) {
			if term == "" || strings.ContainsAny(term, "\"'()*:^-\x00 ") {
				t.Fatalf("term %q from %q is not a plain word", term, q)
			}
		}
		if _, err := models.SearchIdeas(context.Background(), db, models.IdeaQuery{Search: q}); err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		if _, err := models.SimilarIdeas(context.Background(), db, q, nil, 5); err != nil {
			t.Fatalf("similar %q: %v", q, err)
		}
	})
}
