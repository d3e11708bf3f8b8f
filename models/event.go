package models

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/uptrace/bun"
)

// Event kinds. Everything that happens to an idea is recorded as one of
// these, in the same transaction as the change itself.
const (
	EventIdeaCreated   = "idea.created"
	EventStatusChanged = "idea.status_changed"
	EventCommented     = "idea.commented"
	EventMerged        = "idea.merged"    // on the duplicate
	EventMergedInto    = "idea.merged_in" // on the original
	EventRoadmapMoved  = "idea.roadmap_moved"
	EventIdeaHidden    = "idea.hidden"    // by staff, as spam
	EventIdeaShown     = "idea.shown"     // hidden no more
	EventCommentHidden = "comment.hidden" // payload CommentPayload (comment_id only)
	EventCommentEdited = "comment.edited" // payload CommentPayload with the new body_html

	// Board events have a board and no idea. No feed lists them, but each
	// gives every feed that may show the board's ideas a new version.
	EventBoardCreated = "board.created" // payload BoardPayload
	EventBoardUpdated = "board.updated" // payload BoardPayload with what changed
)

// Event is one thing that happened. Whether its effect was public (the
// events.is_public column, which dates feeds) is decided by the database as
// the row is written, so no writer can get it wrong; see FeedStamp.
type Event struct {
	bun.BaseModel `bun:"table:events"`

	ID        int64     `bun:"id,pk,autoincrement"`
	Kind      string    `bun:"kind"`
	IdeaID    *int64    `bun:"idea_id"`
	BoardID   *int64    `bun:"board_id"`
	ActorID   *int64    `bun:"actor_id"`
	Payload   string    `bun:"payload"`
	CreatedAt time.Time `bun:"created_at"`

	Idea  *Idea `bun:"rel:belongs-to,join:idea_id=id"`
	Actor *User `bun:"rel:belongs-to,join:actor_id=id"`
}

// Decode unmarshals the payload into v.
func (e *Event) Decode(v any) error { return json.Unmarshal([]byte(e.Payload), v) }

// recordEvent writes an event inside the caller's transaction.
func recordEvent(ctx context.Context, tx bun.IDB, at time.Time, kind string, idea *Idea, actorID int64, payload any) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s payload: %w", kind, err)
	}
	ev := &Event{Kind: kind, Payload: string(raw), CreatedAt: at}
	if idea != nil {
		ev.IdeaID, ev.BoardID = &idea.ID, &idea.BoardID
	}
	if actorID != 0 {
		ev.ActorID = &actorID
	}
	if _, err := tx.NewInsert().Model(ev).Exec(ctx); err != nil {
		return fmt.Errorf("record %s: %w", kind, err)
	}
	if typ := hookType(kind); typ != "" && idea != nil {
		// Webhooks hear of it from the same queue, committed with it.
		msg := "evt_" + strconv.FormatInt(ev.ID, 10)
		if err := queueWebhooks(ctx, tx, at, typ, msg, idea.ID, eventHookData(kind, payload)); err != nil {
			return err
		}
	}
	if notifies(kind) {
		// The followers hear of it once the change is committed; the job
		// is committed with it, so they hear of it even if this process
		// dies the moment after.
		_, err := enqueue(ctx, tx, at, NewJob{Kind: JobNotify, Key: "notify:" + strconv.FormatInt(ev.ID, 10), Args: EventArgs{EventID: ev.ID}})
		return err
	}
	return nil
}

// recordBoardEvent writes an event about a board, with no idea, inside the
// caller's transaction.
func recordBoardEvent(ctx context.Context, tx bun.IDB, at time.Time, kind string, b *Board, actorID int64, changed []string) error {
	raw, err := json.Marshal(BoardPayload{Name: b.Name, Slug: b.Slug, IsPrivate: b.IsPrivate, Changed: changed})
	if err != nil {
		return fmt.Errorf("encode %s payload: %w", kind, err)
	}
	ev := &Event{Kind: kind, BoardID: &b.ID, ActorID: &actorID, Payload: string(raw), CreatedAt: at}
	if _, err := tx.NewInsert().Model(ev).Exec(ctx); err != nil {
		return fmt.Errorf("record %s: %w", kind, err)
	}
	return nil
}

// StatusChange is the payload of EventStatusChanged.
type StatusChange struct {
	From         string `json:"from"`
	To           string `json:"to"`
	ToName       string `json:"to_name"`
	Response     string `json:"response,omitempty"`
	ResponseHTML string `json:"response_html,omitempty"`
}

// CommentPayload is the payload of EventCommented.
type CommentPayload struct {
	CommentID int64  `json:"comment_id"`
	BodyHTML  string `json:"body_html"`
}

func jsonString(v any) (string, error) {
	raw, err := json.Marshal(v)
	return string(raw), err
}
