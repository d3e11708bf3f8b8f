package models

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cluetrain/cluetrain/app/markdown"
)

// ideas writes the ideas with their creation and status events. The events
// are rows only: recordEvent would enqueue mail to followers for history.
func (im *importer) ideas(ctx context.Context) error {
	first := new(Board)
	if err := im.tx.NewSelect().Model(first).Order("position", "id").Limit(1).Scan(ctx); err != nil {
		return fmt.Errorf("first board: %w", mapErr(err))
	}
	duplicates := map[int64]string{}
	for n, in := range im.set.Ideas {
		if n > 0 && n%1000 == 0 {
			im.progress("ideas: %d of %d", n, len(im.set.Ideas))
		}
		if _, ok := im.lookup(importIdea, in.Key); ok {
			im.rep.IdeasKnown++
			continue
		}
		boardID := first.ID
		if in.BoardKey != "" {
			id, ok := im.lookup(importBoard, in.BoardKey)
			if !ok {
				return fmt.Errorf("idea %q: unknown board %q", in.Key, in.BoardKey)
			}
			boardID = id
		}
		status, ok := im.statuses[in.Status]
		if !ok {
			return fmt.Errorf("idea %q: unknown status %q", in.Key, in.Status)
		}
		author, err := im.person(in.AuthorKey)
		if err != nil {
			return fmt.Errorf("idea %q: %w", in.Key, err)
		}
		body := cleanText(in.Body)
		html := markdown.Render(body)
		idea := &Idea{
			BoardID: boardID, AuthorID: author, StatusID: status.ID,
			Title: clip(cleanLine(in.Title), 200), Body: body, BodyHTML: html, Summary: markdown.Summary(html),
			Slug: Slugify(in.Title), TrendScore: NoTrend,
			CreatedAt: in.CreatedAt, UpdatedAt: in.CreatedAt, LastActivityAt: in.CreatedAt,
		}
		if in.Hidden {
			idea.HiddenAt = &im.now
			im.rep.HiddenIdeas++
		}
		if status.OnRoadmap && !in.Hidden {
			if idea.RoadmapPosition, err = columnEnd(ctx, im.tx, status.ID); err != nil {
				return err
			}
		}
		if r := cleanText(in.Response); r != "" {
			idea.Response, idea.ResponseHTML = r, markdown.Render(r)
			at := in.CreatedAt
			if in.RespondedAt != nil {
				at = *in.RespondedAt
			}
			idea.RespondedAt = &at
			if in.ResponseAuthorKey != "" {
				id, err := im.person(in.ResponseAuthorKey)
				if err != nil {
					return fmt.Errorf("idea %q: response: %w", in.Key, err)
				}
				idea.ResponseAuthorID = &id
			}
		}
		if _, err := im.tx.NewInsert().Model(idea).Exec(ctx); err != nil {
			return fmt.Errorf("insert idea %q: %w", in.Key, err)
		}
		if err := im.ideaEvents(ctx, idea, status, in); err != nil {
			return err
		}
		if err := subscribe(ctx, im.tx, idea.ID, author, in.CreatedAt); err != nil {
			return err
		}
		if in.DuplicateOf != "" {
			duplicates[idea.ID] = in.DuplicateOf
		}
		im.rep.Ideas++
		im.touched[idea.ID] = true
		im.remember(importIdea, in.Key, idea.ID)
	}
	// A duplicate points at its original, as a merge leaves it, once both
	// are known. Its votes stay where the source counted them.
	for id, key := range duplicates {
		orig, ok := im.lookup(importIdea, key)
		if !ok || orig == id {
			continue
		}
		if _, err := im.tx.NewUpdate().Table("ideas").Set("merged_into_id = ?", orig).Where("id = ?", id).Exec(ctx); err != nil {
			return fmt.Errorf("point duplicate %d at %d: %w", id, orig, err)
		}
	}
	return nil
}

// ideaEvents records an imported idea's creation, and its status and
// response when it has either, at the times the source gave.
func (im *importer) ideaEvents(ctx context.Context, idea *Idea, status *Status, in ImportIdea) error {
	if err := im.event(ctx, EventIdeaCreated, idea, &idea.AuthorID, in.CreatedAt, map[string]any{"title": idea.Title}); err != nil {
		return err
	}
	open := im.statuses["open"]
	if (open != nil && status.ID == open.ID) && idea.Response == "" {
		return nil
	}
	change := StatusChange{From: "open", To: status.Slug, ToName: status.Name, Response: idea.Response, ResponseHTML: idea.ResponseHTML}
	at := in.CreatedAt
	if idea.RespondedAt != nil {
		at = *idea.RespondedAt
	}
	return im.event(ctx, EventStatusChanged, idea, idea.ResponseAuthorID, at, change)
}

// event writes an event row and nothing else.
func (im *importer) event(ctx context.Context, kind string, idea *Idea, actor *int64, at time.Time, payload any) error {
	raw, err := jsonString(payload)
	if err != nil {
		return fmt.Errorf("encode %s payload: %w", kind, err)
	}
	ev := &Event{Kind: kind, IdeaID: &idea.ID, BoardID: &idea.BoardID, ActorID: actor, Payload: raw, CreatedAt: at}
	if _, err := im.tx.NewInsert().Model(ev).Exec(ctx); err != nil {
		return fmt.Errorf("record %s: %w", kind, err)
	}
	return nil
}

// votes writes the votes; the counters are computed once at the end.
func (im *importer) votes(ctx context.Context) error {
	for n, v := range im.set.Votes {
		if n > 0 && n%5000 == 0 {
			im.progress("votes: %d of %d", n, len(im.set.Votes))
		}
		key := v.IdeaKey + ":" + v.PersonKey
		if _, ok := im.lookup(importVote, key); ok {
			im.rep.VotesKnown++
			continue
		}
		ideaID, ok := im.lookup(importIdea, v.IdeaKey)
		if !ok {
			return fmt.Errorf("vote %q: unknown idea", key)
		}
		user, err := im.person(v.PersonKey)
		if err != nil {
			return fmt.Errorf("vote %q: %w", key, err)
		}
		res, err := im.tx.NewInsert().Model(&Vote{IdeaID: ideaID, UserID: user, CreatedAt: v.CreatedAt}).
			On("CONFLICT (idea_id, user_id) DO NOTHING").Exec(ctx)
		if err != nil {
			return fmt.Errorf("insert vote %q: %w", key, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			im.rep.Votes++
		} else {
			im.rep.VotesKnown++
		}
		if err := subscribe(ctx, im.tx, ideaID, user, v.CreatedAt); err != nil {
			return err
		}
		im.touched[ideaID] = true
		im.remember(importVote, key, ideaID)
	}
	return nil
}

// comments writes the comments; hidden ones get no event, so no timeline or
// feed shows them.
func (im *importer) comments(ctx context.Context) error {
	for _, in := range im.set.Comments {
		if _, ok := im.lookup(importComment, in.Key); ok {
			im.rep.CommentsKnown++
			continue
		}
		ideaID, ok := im.lookup(importIdea, in.IdeaKey)
		if !ok {
			return fmt.Errorf("comment %q: unknown idea %q", in.Key, in.IdeaKey)
		}
		author, err := im.person(in.AuthorKey)
		if err != nil {
			return fmt.Errorf("comment %q: %w", in.Key, err)
		}
		body := cleanText(in.Body)
		c := &Comment{IdeaID: ideaID, AuthorID: author, Body: body, BodyHTML: markdown.Render(body),
			IsStaff: in.IsStaff, CreatedAt: in.CreatedAt, UpdatedAt: latest(in.CreatedAt, in.UpdatedAt)}
		if in.Hidden {
			c.HiddenAt = &im.now
			im.rep.HiddenComments++
		}
		if _, err := im.tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return fmt.Errorf("insert comment %q: %w", in.Key, err)
		}
		if !in.Hidden {
			idea := &Idea{ID: ideaID}
			if err := im.tx.NewSelect().Model(idea).Column("board_id").WherePK().Scan(ctx); err != nil {
				return fmt.Errorf("board of idea %d: %w", ideaID, err)
			}
			if err := im.event(ctx, EventCommented, idea, &author, in.CreatedAt, CommentPayload{CommentID: c.ID, BodyHTML: c.BodyHTML}); err != nil {
				return err
			}
			if err := subscribe(ctx, im.tx, ideaID, author, in.CreatedAt); err != nil {
				return err
			}
		}
		im.rep.Comments++
		im.touched[ideaID] = true
		im.remember(importComment, in.Key, c.ID)
	}
	return nil
}

// recount sets the counters of every idea the import touched from its rows:
// votes, visible comments, the trend score of its votes' times, its last
// activity and its weighing.
func (im *importer) recount(ctx context.Context) error {
	ids := make([]int64, 0, len(im.touched))
	for id := range im.touched {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for n, id := range ids {
		if n > 0 && n%1000 == 0 {
			im.progress("counting: %d of %d ideas", n, len(ids))
		}
		var times []time.Time
		if err := im.tx.NewSelect().Table("votes").Column("created_at").Where("idea_id = ?", id).Scan(ctx, &times); err != nil {
			return fmt.Errorf("votes of idea %d: %w", id, err)
		}
		idea := &Idea{ID: id}
		if err := im.tx.NewSelect().Model(idea).Column("created_at", "responded_at").WherePK().Scan(ctx); err != nil {
			return fmt.Errorf("idea %d: %w", id, err)
		}
		var comments []time.Time
		if err := im.tx.NewSelect().Table("comments").Column("created_at").
			Where("idea_id = ?", id).Where("hidden_at IS NULL").Scan(ctx, &comments); err != nil {
			return fmt.Errorf("comments of idea %d: %w", id, err)
		}
		last := idea.CreatedAt
		if idea.RespondedAt != nil {
			last = latest(last, *idea.RespondedAt)
		}
		for _, t := range append(slices.Clone(times), comments...) {
			last = latest(last, t)
		}
		if _, err := im.tx.NewUpdate().Table("ideas").
			Set("votes_count = ?", len(times)).
			Set("comments_count = ?", len(comments)).
			Set("trend_score = ?", TrendOf(times)).
			Set("last_activity_at = ?", last.UTC()).
			Where("id = ?", id).Exec(ctx); err != nil {
			return fmt.Errorf("count idea %d: %w", id, err)
		}
	}
	// Revenue at stake, critical votes and weekly counts, from the rows.
	return recountIdeas(ctx, im.tx, isPG(im.tx), ids)
}

// latest is the later of a and b.
func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
