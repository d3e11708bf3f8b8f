package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/cluetrain/cluetrain/app/markdown"
)

// MaxResponseLength bounds a staff response, in characters.
const MaxResponseLength = 10000

// SlugDuplicate is the status a merged idea takes.
const SlugDuplicate = "duplicate"

// ChangeStatus moves an idea to the status named by slug, with an optional
// public response in markdown, on behalf of a staff member. The idea, its
// response and an EventStatusChanged are written in one transaction. A
// response given with the idea's current status updates the response alone;
// neither a new status nor a response changes nothing. An idea moved onto a
// roadmap column goes to the end of that column.
func ChangeStatus(ctx context.Context, db *DB, ideaID int64, actor *User, slug, response string) (*Idea, error) {
	if !actor.IsStaff() {
		return nil, fmt.Errorf("change status of idea %d: %w", ideaID, ErrForbidden)
	}
	response = strings.TrimSpace(response)
	var ve ValidationError
	if utf8.RuneCountInString(response) > MaxResponseLength {
		ve.Add("response", fmt.Sprintf("Keep the response under %d characters.", MaxResponseLength))
	}
	to, err := StatusBySlug(ctx, db, strings.TrimSpace(slug))
	switch {
	case errors.Is(err, ErrNotFound):
		ve.Add("status", "Choose one of the listed statuses.")
	case err != nil:
		return nil, err
	case to.Slug == SlugDuplicate:
		ve.Add("status", "To mark a duplicate, merge it into the original idea.")
	}
	if err := ve.Err(); err != nil {
		return nil, err
	}
	err = db.inTx(ctx, func(tx bun.Tx) error {
		idea, err := lockIdea(ctx, db, tx, ideaID)
		if err != nil {
			return err
		}
		return changeStatusTx(ctx, tx, db.Now(), idea, to, actor, response)
	})
	if err != nil {
		return nil, fmt.Errorf("change status of idea %d: %w", ideaID, err)
	}
	return IdeaByID(ctx, db, ideaID, actor)
}

// lockIdea loads an idea inside a write transaction, locking its row on
// PostgreSQL (SQLite's immediate transaction already holds the write lock).
func lockIdea(ctx context.Context, db *DB, tx bun.Tx, id int64) (*Idea, error) {
	idea := new(Idea)
	q := tx.NewSelect().Model(idea).Where("id = ?", id)
	if db.pg {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("idea %d: %w", id, mapErr(err))
	}
	st := new(Status)
	if err := tx.NewSelect().Model(st).Where("id = ?", idea.StatusID).Scan(ctx); err != nil {
		return nil, fmt.Errorf("status of idea %d: %w", id, mapErr(err))
	}
	idea.Status = st
	return idea, nil
}

// changeStatusTx is the body of a status change, shared by the roadmap's
// moves between columns. idea.Status must be loaded.
func changeStatusTx(ctx context.Context, tx bun.Tx, now time.Time, idea *Idea, to *Status, actor *User, response string) error {
	if idea.MergedIntoID != nil {
		return &RuleError{Msg: fmt.Sprintf("This idea was merged into idea #%d; change the original instead.", *idea.MergedIntoID)}
	}
	from := idea.Status
	if from.ID == to.ID && response == "" {
		return nil
	}
	upd := tx.NewUpdate().Model(idea).WherePK().
		Set("status_id = ?", to.ID).
		Set("updated_at = ?", now).
		Set("last_activity_at = ?", now)
	if to.OnRoadmap && from.ID != to.ID {
		pos, err := columnEnd(ctx, tx, to.ID)
		if err != nil {
			return err
		}
		upd = upd.Set("roadmap_position = ?", pos)
		idea.RoadmapPosition = pos
	}
	payload := StatusChange{From: from.Slug, To: to.Slug, ToName: to.Name}
	if response != "" {
		html := markdown.Render(response)
		upd = upd.Set("response = ?", response).
			Set("response_html = ?", html).
			Set("response_author_id = ?", actor.ID).
			Set("responded_at = ?", now)
		payload.Response, payload.ResponseHTML = response, html
		idea.Response, idea.ResponseHTML, idea.ResponseAuthorID, idea.RespondedAt = response, html, &actor.ID, &now
	}
	if _, err := upd.Exec(ctx); err != nil {
		return fmt.Errorf("update idea: %w", err)
	}
	idea.StatusID, idea.Status, idea.UpdatedAt, idea.LastActivityAt = to.ID, to, now, now
	return recordEvent(ctx, tx, now, EventStatusChanged, idea, actor.ID, payload)
}

// columnEnd is a roadmap position after every card now in the status's
// column (served by ideas_roadmap_idx).
func columnEnd(ctx context.Context, tx bun.IDB, statusID int64) (float64, error) {
	var last *float64
	err := tx.NewSelect().Table("ideas").ColumnExpr("max(roadmap_position)").
		Where("status_id = ?", statusID).
		Where("hidden_at IS NULL").Where("merged_into_id IS NULL").
		Scan(ctx, &last)
	if err != nil {
		return 0, fmt.Errorf("end of roadmap column: %w", err)
	}
	if last == nil {
		return 1, nil
	}
	return *last + 1, nil
}
