package models_test

import (
	"context"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// Every kind of write to what signed-out pages show moves the data version
// on, whoever makes it: here raw SQL and fixtures, which no application
// code path sees. Writes elsewhere (sessions, limits) leave it alone.
func TestEveryContentWriteMovesTheDataVersion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		version := func() int64 {
			t.Helper()
			v, err := models.DataVersion(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		ann := dbtest.User(t, db, "Ann", "ann@example.com", models.RoleMember)
		idea := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: ann, Title: "Versioned"})
		steps := []struct {
			what  string
			sql   string
			args  []any
			moves bool
		}{
			{"an idea's title", "UPDATE ideas SET title = 'Renamed' WHERE id = ?", []any{idea.ID}, true},
			{"a vote's counter", "UPDATE ideas SET votes_count = votes_count + 1 WHERE id = ?", []any{idea.ID}, true},
			{"a comment", "INSERT INTO comments (idea_id, author_id, body, body_html, is_staff, created_at, updated_at) VALUES (?, ?, 'hi', '<p>hi</p>', ?, ?, ?)", []any{idea.ID, ann.ID, false, db.Now(), db.Now()}, true},
			{"a hidden comment", "UPDATE comments SET hidden_at = ? WHERE idea_id = ?", []any{db.Now(), idea.ID}, true},
			{"an event", "INSERT INTO events (kind, idea_id, actor_id, payload, created_at) VALUES ('comment', ?, ?, '{}', ?)", []any{idea.ID, ann.ID, db.Now()}, true},
			{"a board", "UPDATE boards SET name = 'Renamed board'", nil, true},
			{"a status", "UPDATE statuses SET color = '#123456' WHERE slug = 'open'", nil, true},
			{"a person's name", "UPDATE users SET name = 'Ann B.' WHERE id = ?", []any{ann.ID}, true},
			{"a setting", "INSERT INTO settings (key, value) VALUES ('welcome', 'Hello')", nil, true},
			{"a deleted comment", "DELETE FROM comments WHERE idea_id = ?", []any{idea.ID}, true},
			{"a session", "DELETE FROM sessions", nil, false},
			{"a rate limit", "DELETE FROM rate_limits", nil, false},
		}
		for _, s := range steps {
			before := version()
			if _, err := db.Bun().ExecContext(ctx, s.sql, s.args...); err != nil {
				t.Fatalf("%s: %v", s.what, err)
			}
			if moved := version() > before; moved != s.moves {
				t.Errorf("writing %s: the data version moved = %v, want %v", s.what, moved, s.moves)
			}
		}
	})
}
