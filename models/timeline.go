package models

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// TimelineKinds are the events an idea's page shows, in its timeline.
var TimelineKinds = []string{EventIdeaCreated, EventStatusChanged, EventCommented, EventMerged, EventMergedInto}

// IdeaTimeline lists what happened to an idea, oldest first, with each
// event's actor: creation, status changes with their responses, comments
// (except hidden ones) and merges.
func IdeaTimeline(ctx context.Context, db *DB, ideaID int64) ([]Event, error) {
	var events []Event
	err := db.bun.NewSelect().Model(&events).Relation("Actor").
		Where("event.idea_id = ?", ideaID).
		Where("event.kind IN (?)", bun.List(TimelineKinds)).
		OrderExpr("event.id ASC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("timeline of idea %d: %w", ideaID, mapErr(err))
	}
	// Comments hidden since are left out; they are looked up by id, as a
	// merge may have moved them under another idea.
	commentOf := map[int]int64{}
	var ids []int64
	for i := range events {
		var p CommentPayload
		if events[i].Kind == EventCommented && events[i].Decode(&p) == nil {
			commentOf[i] = p.CommentID
			ids = append(ids, p.CommentID)
		}
	}
	if len(ids) == 0 {
		return events, nil
	}
	var hidden []int64
	err = db.bun.NewSelect().Model((*Comment)(nil)).Column("id").
		Where("id IN (?)", bun.List(ids)).Where("hidden_at IS NOT NULL").Scan(ctx, &hidden)
	if err != nil {
		return nil, fmt.Errorf("timeline of idea %d: %w", ideaID, mapErr(err))
	}
	gone := make(map[int64]bool, len(hidden))
	for _, id := range hidden {
		gone[id] = true
	}
	kept := events[:0]
	for i, e := range events {
		if id, ok := commentOf[i]; ok && gone[id] {
			continue
		}
		kept = append(kept, e)
	}
	return kept, nil
}
