package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/app"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// importedIdea is an idea as the Fider test checks it.
type importedIdea struct {
	Status, Response, Board, Body string
	Votes, VoteRows, Comments     int
	Hidden                        bool
	MergedInto                    *int64
	AuthorEmail                   *string
	AuthorExternal                *string
	Trend                         float64
}

func fiderIdeaOf(t *testing.T, db *models.DB, key string) importedIdea {
	t.Helper()
	var i importedIdea
	err := db.Bun().QueryRowContext(context.Background(), `
		SELECT s.slug, i.response, b.slug, i.body, i.votes_count,
		  (SELECT count(*) FROM votes AS v WHERE v.idea_id = i.id), i.comments_count,
		  i.hidden_at IS NOT NULL, i.merged_into_id, u.email, u.external_id, i.trend_score
		FROM import_keys AS k JOIN ideas AS i ON i.id = k.local_id
		JOIN statuses AS s ON s.id = i.status_id JOIN boards AS b ON b.id = i.board_id
		JOIN users AS u ON u.id = i.author_id
		WHERE k.source = 'fider' AND k.kind = 'idea' AND k.key = ?`, key).
		Scan(&i.Status, &i.Response, &i.Board, &i.Body, &i.Votes, &i.VoteRows, &i.Comments,
			&i.Hidden, &i.MergedInto, &i.AuthorEmail, &i.AuthorExternal, &i.Trend)
	if err != nil {
		t.Fatalf("idea from post %s: %v", key, err)
	}
	return i
}

func TestImportFider(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			dbURL := dbtest.URL(t, dialect)
			t.Setenv("DATABASE_URL", dbURL)
			t.Setenv("LOG_LEVEL", "error")
			if st, _, errOut := run("migrate"); st != exitOK {
				t.Fatalf("migrate: %d %s", st, errOut)
			}
			db := openURL(t, dbURL)
			bob := dbtest.User(t, db, "Robert", "bob@example.com", models.RoleMember)

			file := writeZip(t, fiderFixture())
			st, out, errOut := run("import", "fider", file)
			if st != exitOK {
				t.Fatalf("import: %d\n%s\n%s", st, out, errOut)
			}
			for _, want := range []string{
				"people:   4 new, 1 matched to existing accounts, 0 imported before",
				"boards:   2 new, 0 existing reused, 0 imported before",
				"ideas:    6 new (1 of them hidden), 0 imported before",
				"votes:    11 new, 0 imported before",
				"comments: 4 new (1 of them hidden), 0 imported before",
				"1 private tag(s) not carried over",
				"1 vote(s) skipped: their post or person is not in the backup",
				"1 comment(s) skipped",
				"1 image link(s) became",
				"1 uploaded file(s) under blobs/ not copied",
				"1 Fider administrator(s)",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("the report lacks %q:\n%s", want, out)
				}
			}

			after := tableCounts(t, db)
			want := map[string]int{"users": 5, "boards": 3, "ideas": 6, "votes": 11, "comments": 4, "jobs": 0, "notifications": 0, "identities": 2}
			for table, n := range want {
				if after[table] != n {
					t.Errorf("%s: %d rows, want %d", table, after[table], n)
				}
			}
			// Bob's existing account got his vote and his posts.
			if n := dbtest.Count(t, db, "SELECT count(*) FROM votes WHERE user_id = ?", bob.ID); n != 3 {
				t.Errorf("Bob has %d votes, want 3", n)
			}
			// Carol has no email: she is kept, by her id in the company's app.
			if n := dbtest.Count(t, db, "SELECT count(*) FROM users WHERE email IS NULL AND external_id = 'acme-42' AND name = 'Carol'"); n != 1 {
				t.Errorf("Carol: %d rows", n)
			}
			if n := dbtest.Count(t, db, "SELECT count(*) FROM votes AS v JOIN users AS u ON u.id = v.user_id WHERE u.external_id = 'acme-42'"); n != 3 {
				t.Errorf("Carol's votes: %d, want 3", n)
			}
			if n := dbtest.Count(t, db, "SELECT count(*) FROM users WHERE email_verified OR role <> 'member'"); n != 1 {
				t.Errorf("%d people verified or with a role, want only Bob's own account", n)
			}
			if n := dbtest.Count(t, db, "SELECT count(*) FROM users WHERE blocked_at IS NOT NULL AND email = 'dan@example.com'"); n != 1 {
				t.Error("Dan, blocked in Fider, is not blocked")
			}

			ideas := map[string]importedIdea{}
			for _, key := range []string{"100", "101", "102", "103", "104", "105"} {
				ideas[key] = fiderIdeaOf(t, db, key)
			}
			checks := []struct {
				key, status, board string
				votes, comments    int
				hidden             bool
			}{
				{"100", "in_progress", "mobile", 3, 2, false},
				{"101", "done", "feature-requests", 2, 0, false},
				{"102", "open", "billing", 0, 0, false},
				{"103", "declined", "feature-requests", 1, 0, true},
				{"104", "duplicate", "feature-requests", 1, 0, false},
				{"105", "planned", "feature-requests", 4, 1, false},
			}
			for _, c := range checks {
				i := ideas[c.key]
				if i.Status != c.status || i.Board != c.board || i.Votes != c.votes || i.VoteRows != c.votes || i.Comments != c.comments || i.Hidden != c.hidden {
					t.Errorf("post %s became %+v, want status %s board %s votes %d comments %d hidden %v", c.key, i, c.status, c.board, c.votes, c.comments, c.hidden)
				}
				if (c.votes == 0) != (i.Trend == models.NoTrend) {
					t.Errorf("post %s: trend %v with %d votes", c.key, i.Trend, c.votes)
				}
			}
			dark := ideas["100"]
			if dark.Response != "Working on it" || dark.AuthorEmail != nil || dark.AuthorExternal == nil || *dark.AuthorExternal != "acme-42" {
				t.Errorf("post 100: %+v", dark)
			}
			if !strings.Contains(dark.Body, "Please, @Bob agrees.") || !strings.Contains(dark.Body, "(image: shot)") ||
				strings.Contains(dark.Body, "fider-image") || !strings.HasSuffix(dark.Body, "Fider tags: Mobile, Billing") || strings.Contains(dark.Body, "Internal") {
				t.Errorf("post 100's body: %q", dark.Body)
			}
			if ideas["104"].MergedInto == nil {
				t.Error("the duplicate does not point at its original")
			}
			if n := dbtest.Count(t, db, "SELECT count(*) FROM ideas WHERE title = '2024' AND response = 'Shipped' AND responded_at IS NOT NULL AND response_author_id IS NOT NULL"); n != 1 {
				t.Error("post 2024's response was not kept")
			}
			if n := dbtest.Count(t, db, "SELECT count(*) FROM comments WHERE hidden_at IS NOT NULL AND body = 'rude words'"); n != 1 {
				t.Error("the deleted comment is not hidden")
			}
			if n := dbtest.Count(t, db, "SELECT count(*) FROM comments WHERE body = 'Thanks @Ann Admin'"); n != 1 {
				t.Error("the mention in a comment was not made plain")
			}
			if n := dbtest.Count(t, db, "SELECT count(*) FROM comments WHERE is_staff AND body = 'We are on it'"); n != 1 {
				t.Error("the administrator's comment is not marked as staff")
			}
			if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE kind = ?", models.EventIdeaCreated); n != 6 {
				t.Errorf("%d idea.created events, want 6", n)
			}
			if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE kind = ?", models.EventCommented); n != 3 {
				t.Errorf("%d comment events, want 3 (not the hidden one)", n)
			}

			servesImported(t, db)

			// A second run finds everything and changes nothing.
			st, out, errOut = run("import", "fider", file)
			if st != exitOK || !strings.Contains(out, "Nothing new") || !strings.Contains(out, "ideas:    0 new (0 of them hidden), 6 imported before") {
				t.Fatalf("second import: %d\n%s\n%s", st, out, errOut)
			}
			if again := tableCounts(t, db); !equalCounts(after, again) {
				t.Errorf("the second run changed counts: %v, then %v", after, again)
			}

			// Broken files fail with one line and change nothing.
			for _, bad := range badFiderFiles(t) {
				st, out, errOut := run("import", "fider", bad.file)
				if st != exitFailed || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, bad.want) || out != "" {
					t.Errorf("%s: status %d, stderr %q, stdout %q", bad.name, st, errOut, out)
				}
			}
			if again := tableCounts(t, db); !equalCounts(after, again) {
				t.Errorf("a broken file changed counts: %v, then %v", after, again)
			}
		})
	}
}

func equalCounts(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}

type badFile struct{ name, file, want string }

func badFiderFiles(t *testing.T) []badFile {
	fixture := func(change func(m map[string]any)) string {
		m := fiderFixture()
		change(m)
		return writeZip(t, m)
	}
	notZip := filepath.Join(t.TempDir(), "not.zip")
	if err := os.WriteFile(notZip, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	return []badFile{
		{"truncated JSON", fixture(func(m map[string]any) { m["posts.json"] = `[{"id": 100, "title": "Dark` }), "posts.json: the JSON ends too early"},
		{"path traversal", fixture(func(m map[string]any) { m["../evil"] = "boo" }), `unsafe path "../evil"`},
		{"huge member", hugeMemberZip(t), "more than the limit"},
		{"not a zip", notZip, "not a readable zip file"},
		{"no posts", fixture(func(m map[string]any) { delete(m, "posts.json") }), "posts.json is missing"},
		{"unknown status", fixture(func(m map[string]any) {
			m["posts.json"] = []any{map[string]any{"id": 1, "title": "x", "user_id": 1, "status": 9, "created_at": "2024-01-01T00:00:00Z"}}
		}), "post 1 has an unknown status 9"},
		{"missing file", filepath.Join(t.TempDir(), "absent.zip"), "not a readable zip file"},
	}
}

// hugeMemberZip holds a member whose header says it expands past the
// limit; the body is small, so the test stays fast.
func hugeMemberZip(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "posts.json", Method: zip.Store, CompressedSize64: 2, UncompressedSize64: maxZipMember + 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("[]")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "huge.zip")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// servesImported checks that the portal shows what was imported: pages,
// the roadmap and feeds answer, hidden ideas stay out of sight.
func servesImported(t *testing.T, db *models.DB) {
	t.Helper()
	ctx := context.Background()
	cfg, err := app.LoadConfig(map[string]string{"BASE_URL": "http://portal.test"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, cfg, db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		resp, err := a.Handler().Test(httptest.NewRequest("GET", path, nil), -1)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return resp.StatusCode, string(body)
	}
	id := func(key string) string {
		var (
			n    int64
			slug string
		)
		if err := db.Bun().QueryRow(`SELECT i.id, i.slug FROM import_keys AS k JOIN ideas AS i ON i.id = k.local_id
			WHERE k.source = 'fider' AND k.kind = 'idea' AND k.key = ?`, key).Scan(&n, &slug); err != nil {
			t.Fatal(err)
		}
		return strconv.FormatInt(n, 10) + "/" + slug
	}
	if st, body := get("/"); st != 200 || !strings.Contains(body, "Dark mode") || strings.Contains(body, "Spam spam") {
		t.Errorf("home: %d", st)
	}
	if st, body := get("/ideas/" + id("100")); st != 200 || !strings.Contains(body, "Working on it") || !strings.Contains(body, "Thanks @Ann Admin") || strings.Contains(body, "rude words") {
		t.Errorf("idea 100: %d", st)
	}
	if st, body := get("/ideas/" + id("101")); st != 200 || strings.Contains(body, "rude words") {
		t.Errorf("idea 101: %d, or the deleted comment shows", st)
	}
	if st, _ := get("/ideas/" + id("103")); st != 404 {
		t.Errorf("the deleted post: %d, want 404", st)
	}
	for _, path := range []string{"/roadmap", "/changelog", "/feeds/ideas.atom", "/ideas/" + strings.Split(id("100"), "/")[0] + "/feed.json"} {
		if st, body := get(path); st != 200 || strings.Contains(body, "Spam spam") || strings.Contains(body, "rude words") {
			t.Errorf("%s: %d, or hidden things show", path, st)
		}
	}
}
