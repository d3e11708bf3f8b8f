package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

const goodCSV = "title,body,board,status,author_email,author_name,created_at,voters\n" +
	"Dark mode,\"Easier on the eyes,\nat night\",Mobile App,planned,ann@example.com,Ann,2024-03-01T10:00:00Z,\"bob@example.com, carol@example.com;dan@example.com\"\n" +
	"Invoices as PDF,,Feature requests,In progress,BOB@example.com,,2024-03-02,ann@example.com bob@example.com\n" +
	"Offline mode,Please,,,carol@example.com,Carol,,\n"

func TestImportCSV(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			dbURL := dbtest.URL(t, dialect)
			t.Setenv("DATABASE_URL", dbURL)
			t.Setenv("LOG_LEVEL", "error")
			// The import creates and migrates the database.
			file := writeFile(t, "ideas.csv", goodCSV)
			st, out, errOut := run("import", "csv", file)
			if st != exitOK {
				t.Fatalf("import: %d\n%s\n%s", st, out, errOut)
			}
			for _, want := range []string{
				"people:   4 new, 0 matched to existing accounts, 0 imported before",
				"boards:   1 new, 1 existing reused, 0 imported before",
				"ideas:    3 new (0 of them hidden), 0 imported before",
				"votes:    5 new, 0 imported before",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("the report lacks %q:\n%s", want, out)
				}
			}
			db := openURL(t, dbURL)
			after := tableCounts(t, db)
			for table, n := range map[string]int{"users": 4, "boards": 2, "ideas": 3, "votes": 5, "comments": 0, "jobs": 0, "notifications": 0} {
				if after[table] != n {
					t.Errorf("%s: %d rows, want %d", table, after[table], n)
				}
			}
			checks := []struct {
				title, board, status, author string
				votes                        int
				created                      string
			}{
				{"Dark mode", "mobile-app", "planned", "ann@example.com", 3, "2024-03-01 10:00"},
				{"Invoices as PDF", "feature-requests", "in_progress", "bob@example.com", 2, "2024-03-02 00:00"},
				{"Offline mode", "feature-requests", "open", "carol@example.com", 0, ""},
			}
			for _, c := range checks {
				var board, status, author, body string
				var votes, rows int
				var created models.Idea
				err := db.Bun().QueryRow(`SELECT b.slug, s.slug, u.email, i.votes_count, (SELECT count(*) FROM votes AS v WHERE v.idea_id = i.id), i.body, i.created_at
					FROM ideas AS i JOIN boards AS b ON b.id = i.board_id JOIN statuses AS s ON s.id = i.status_id JOIN users AS u ON u.id = i.author_id
					WHERE i.title = ?`, c.title).Scan(&board, &status, &author, &votes, &rows, &body, &created.CreatedAt)
				if err != nil {
					t.Fatalf("%s: %v", c.title, err)
				}
				if board != c.board || status != c.status || author != c.author || votes != c.votes || rows != c.votes {
					t.Errorf("%s: board %s status %s author %s votes %d/%d", c.title, board, status, author, votes, rows)
				}
				if c.created != "" && created.CreatedAt.UTC().Format("2006-01-02 15:04") != c.created {
					t.Errorf("%s: created %v, want %s", c.title, created.CreatedAt, c.created)
				}
			}
			if n := dbtest.Count(t, db, "SELECT count(*) FROM boards WHERE slug = 'mobile-app' AND name = 'Mobile App' AND NOT is_private"); n != 1 {
				t.Error("the new board is not public, or misnamed")
			}
			if n := dbtest.Count(t, db, "SELECT count(*) FROM users WHERE email = 'bob@example.com' AND name = 'bob'"); n != 1 {
				t.Error("a person without a name is not named after the address")
			}

			st, out, errOut = run("import", "csv", file)
			if st != exitOK || !strings.Contains(out, "Nothing new") || !strings.Contains(out, "3 imported before") {
				t.Fatalf("second import: %d\n%s\n%s", st, out, errOut)
			}
			if again := tableCounts(t, db); !equalCounts(after, again) {
				t.Errorf("the second run changed counts: %v, then %v", after, again)
			}

			// Bad rows are reported each on its own line, and nothing of
			// the good rows around them is stored.
			bad := writeFile(t, "bad.csv", "title,author_email,status,created_at,voters\n"+
				"New and good,eve@example.com,open,2024-05-01,\n"+
				"\"Two\nlines\",eve@example.com,frozen,,\n"+
				"Bad author,not-an-address,,,\n"+
				"Bad date,eve@example.com,,01/05/2024,\n"+
				"Too few,eve@example.com\n"+
				",eve@example.com,,,x@example.com y@\n")
			st, out, errOut = run("import", "csv", bad)
			wantLines := []string{
				bad + `:3: status "frozen" is not one of this portal's statuses`,
				bad + `:5: author_email "not-an-address" is not an email address`,
				bad + `:6: created_at "01/05/2024" is neither RFC 3339`,
				bad + ":7: 2 fields, the header has 5",
				bad + ":8: title is empty",
				bad + `:8: voter "y@" is not an email address`,
				"cluetrain import csv: 6 bad row(s); nothing was imported",
			}
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if st != exitFailed || out != "" || len(lines) != len(wantLines) {
				t.Fatalf("bad rows: status %d, stdout %q, stderr:\n%s", st, out, errOut)
			}
			for i, want := range wantLines {
				if !strings.HasPrefix(lines[i], want) {
					t.Errorf("line %d of stderr: %q, want %q", i+1, lines[i], want)
				}
			}
			if again := tableCounts(t, db); !equalCounts(after, again) {
				t.Errorf("bad rows changed counts: %v, then %v", after, again)
			}

			for _, c := range []struct{ content, want string }{
				{"titel,author_email\nx,y@example.com\n", `line 1: unknown column "titel"`},
				{"title,body\nx,y\n", `line 1: the header has no "author_email" column`},
				{"", "the file is empty"},
				{"title,author_email\n\"open quote,a@example.com\n", "extraneous or missing"},
			} {
				st, _, errOut := run("import", "csv", writeFile(t, "x.csv", c.content))
				if st != exitFailed || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.want) {
					t.Errorf("%q: status %d, stderr %q", c.content, st, errOut)
				}
			}
			if again := tableCounts(t, db); !equalCounts(after, again) {
				t.Errorf("unreadable files changed counts: %v, then %v", after, again)
			}
		})
	}
}
