package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// mergeState is everything a merge could move or mark, as text.
func mergeState(t *testing.T, db *models.DB, ids ...int64) string {
	t.Helper()
	var b strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&b, "idea %d: votes %d comments %d subscriptions %d merged %d events %d\n", id,
			dbtest.Count(t, db, "SELECT count(*) FROM votes WHERE idea_id = ?", id),
			dbtest.Count(t, db, "SELECT count(*) FROM comments WHERE idea_id = ?", id),
			dbtest.Count(t, db, "SELECT count(*) FROM subscriptions WHERE idea_id = ?", id),
			dbtest.Count(t, db, "SELECT count(*) FROM ideas WHERE id = ? AND merged_into_id IS NOT NULL", id),
			dbtest.Count(t, db, "SELECT count(*) FROM events WHERE idea_id = ?", id))
	}
	return b.String()
}

// Merging never carries content across a privacy boundary: not from a
// private board into public view (staff notes included), not from a public
// board into one its voters cannot see, not between two private boards.
// Within one board, or between public boards, merging works as before.
func TestMergeStaysOnOneSideOfPrivacy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		clock := dbtest.FixClock(db)
		p := dbtest.People(t, db)
		public := dbtest.Board(t, db, "feature-requests", false)
		mobile := dbtest.Board(t, db, "mobile", false)
		staffRoom := dbtest.Board(t, db, "staff-room", true)
		legal := dbtest.Board(t, db, "legal", true)

		for _, tc := range []struct {
			name     string
			from, to *models.Board
			refused  string // a word of the message; "" when the merge is allowed
		}{
			{"private into public", staffRoom, public, "private"},
			{"public into private", public, staffRoom, "private"},
			{"between private boards", staffRoom, legal, "private"},
			{"within a private board", staffRoom, staffRoom, ""},
			{"within a public board", public, public, ""},
			{"between public boards", mobile, public, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				clock.Advance(time.Hour)
				orig := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Staff, Title: "Original " + tc.name, Board: tc.to})
				dup := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Staff, Title: "Duplicate " + tc.name, Board: tc.from})
				dbtest.Vote(t, db, dup, p.Ann, clock.T)
				dbtest.Follow(t, db, dup, p.Ann)
				// A staff note on the duplicate: on a private board, only staff read it.
				if _, err := models.CreateComment(ctx, db, models.NewComment{IdeaID: dup.ID, Author: p.Staff, Body: "Internal: customer is Acme."}); err != nil {
					t.Fatal(err)
				}
				before := mergeState(t, db, dup.ID, orig.ID)

				_, err := models.MergeIdea(ctx, db, dup.ID, orig.ID, p.Staff)
				if tc.refused == "" {
					if err != nil {
						t.Fatalf("merge refused: %v", err)
					}
					if n := dbtest.Count(t, db, "SELECT count(*) FROM comments WHERE idea_id = ?", orig.ID); n != 1 {
						t.Errorf("%d comments under the original after the merge, want 1", n)
					}
					return
				}
				var ve *models.ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("merge %s: err %v, want a validation error", tc.name, err)
				}
				if msg := ve.Fields["into"]; !strings.Contains(msg, tc.refused) || !strings.Contains(msg, fmt.Sprintf("#%d", orig.ID)) {
					t.Errorf("message on into = %q, want it to name idea #%d and say %q", msg, orig.ID, tc.refused)
				}
				if len(ve.Fields) != 1 {
					t.Errorf("fields %v, want only into", ve.Fields)
				}
				if after := mergeState(t, db, dup.ID, orig.ID); after != before {
					t.Errorf("a refused merge changed things:\nbefore\n%s\nafter\n%s", before, after)
				}
			})
		}
	})
}
