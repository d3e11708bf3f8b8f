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
	var hidden []int64
	err = db.bun.NewSelect().Model((*Comment)(nil)).Column("id").
		Where("idea_id = ?", ideaID).Where("hidden_at IS NOT NULL").Scan(ctx, &hidden)
	if err != nil {
		return nil, fmt.Errorf("timeline of idea %d: %w", ideaID, mapErr(err))
	}
	if len(hidden) == 0 {
		return events, nil
	}
	gone := make(map[int64]bool, len(hidden))
	for _, id := range hidden {
		gone[id] = true
	}
	kept := events[:0]
	for _, e := range events {
		if e.Kind == EventCommented {
			var p CommentPayload
			if err := e.Decode(&p); err == nil && gone[p.CommentID] {
				continue
			}
		}
		kept = append(kept, e)
	}
	return kept, nil
}
