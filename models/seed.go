package models

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"time"

	"github.com/uptrace/bun"

	"github.com/cluetrain/cluetrain/models/markdown"
)

// SeedOptions sizes the demo data.
type SeedOptions struct {
	Users, Ideas, Votes int
	Seed                int64
	Force               bool
}

// SeedResult counts what was written.
type SeedResult struct {
	Users, Ideas, Votes, Comments int
}

// ErrNotEmpty is returned when seeding a portal that already has ideas.
var ErrNotEmpty = errors.New("the database already has ideas (use --force to add demo data anyway)")

var (
	seedFirst = []string{"Ada", "Bruno", "Chloé", "Dmitri", "Esther", "Farid", "Grace", "Hiro", "Ines", "Jonas",
		"Kemi", "Lars", "Maya", "Nikolai", "Olga", "Priya", "Quentin", "Rosa", "Sami", "Tomasz", "Uma", "Victor",
		"Wen", "Ximena", "Yusuf", "Zoë"}
	seedLast = []string{"Albers", "Baptiste", "Chen", "Dubois", "Eriksen", "Fontaine", "García", "Hoffmann", "Ivanova",
		"Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi", "Schmidt",
		"Tanaka", "Usman", "Varga", "Wright", "Yilmaz", "Zhang"}
	seedWants = []string{
		"Export %s as CSV", "Dark mode for %s", "Keyboard shortcuts in %s", "Bulk edit %s",
		"Two-factor authentication for %s", "Webhooks when %s change", "Filter %s by date range",
		"Share %s with a public link", "Offline mode for %s", "Custom fields on %s",
		"Slack notifications for %s", "Archive old %s", "Undo for changes to %s", "Templates for %s",
		"Search inside %s", "An API endpoint for %s", "Import %s from a spreadsheet", "Recurring %s",
		"Print-friendly %s", "Drag and drop to reorder %s", "Tags on %s", "Comments on %s",
		"Granular permissions for %s", "Audit log for %s", "Faster loading of %s",
	}
	seedThings = []string{"reports", "invoices", "projects", "the dashboard", "tasks", "the mobile app",
		"customer records", "calendar events", "team workspaces", "documents", "time entries", "forms",
		"the analytics page", "support tickets", "contacts", "checklists", "the timeline view", "attachments"}
	seedWhy = []string{
		"Our team spends hours every week working around this.",
		"We have to copy everything by hand right now, which is slow and error-prone.",
		"Several of our customers have asked for this in the last month.",
		"This would let us retire a spreadsheet we maintain on the side.",
		"Competitors already offer this and it comes up in every renewal call.",
		"It is the one thing stopping us from rolling the product out to the whole company.",
	}
	seedDetail = []string{
		"Ideally it would:\n\n- keep the current layout\n- remember my last choice\n- work on mobile too",
		"Something as simple as a button next to **Save** would already help a lot.",
		"For context, we have around 40 people using this daily across three time zones.",
		"Happy to test an early version if that helps — we can give feedback within a day.",
		"A small first step would be fine; it doesn't need every option on day one.",
	}
	seedComments = []string{
		"+1, we need this too.", "This would save us a lot of time.",
		"Same here. Any update on timing?", "We built a workaround with a script, but a native option would be much better.",
		"Agreed. Please also consider making it available through the API.",
		"Our whole team voted for this one.", "Would love to see this soon!",
		"Is there a beta we could join?", "Exactly what we were about to request.",
	}
	seedResponses = map[string]string{
		"under_review": "Thanks for raising this. We're looking into how it would fit with the rest of the product.",
		"planned":      "Good news: this is **planned** for an upcoming release. We'll post here when work starts.",
		"in_progress":  "Work on this has started. Follow this idea to hear when it ships.",
		"done":         "This has shipped! Thanks to everyone who voted and shared their use cases.",
		"declined":     "Thanks for the suggestion. We've decided not to pursue this for now, as it doesn't fit where the product is heading.",
	}
)

// Seed fills the database with deterministic demo data: the same options
// always produce the same users, ideas, votes and comments. Every counter is
// kept exact and everything is written in one transaction with batched inserts.
func Seed(ctx context.Context, db *DB, opt SeedOptions) (SeedResult, error) {
	var res SeedResult
	n, err := CountIdeas(ctx, db)
	if err != nil {
		return res, err
	}
	if n > 0 && !opt.Force {
		return res, ErrNotEmpty
	}
	if max := opt.Users * opt.Ideas; opt.Votes > max {
		opt.Votes = max
	}
	rng := rand.New(rand.NewSource(opt.Seed))
	now := db.Now().Truncate(24 * time.Hour)
	start := now.Add(-180 * 24 * time.Hour)

	err = db.inTx(ctx, func(tx bun.Tx) error {
		boards, err := seedBoards(ctx, tx, now)
		if err != nil {
			return err
		}
		var statuses []Status
		if err := tx.NewSelect().Model(&statuses).Order("position").Scan(ctx); err != nil {
			return fmt.Errorf("load statuses: %w", err)
		}
		bySlug := map[string]*Status{}
		for i := range statuses {
			bySlug[statuses[i].Slug] = &statuses[i]
		}

		var existingUsers int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&existingUsers); err != nil {
			return fmt.Errorf("count users: %w", err)
		}

		// Users: the first two answer for the company.
		users := make([]User, opt.Users)
		for i := range users {
			k := existingUsers + i + 1
			email := fmt.Sprintf("user%d@example.com", k)
			role := RoleMember
			if i < 2 {
				role = RoleStaff
				email = fmt.Sprintf("staff%d@example.com", k)
			}
			users[i] = User{
				Name:          seedFirst[rng.Intn(len(seedFirst))] + " " + seedLast[rng.Intn(len(seedLast))],
				Email:         &email,
				EmailVerified: true,
				Role:          role,
				CreatedAt:     start.Add(time.Duration(rng.Int63n(int64(90 * 24 * time.Hour)))),
			}
		}
		if err := insertBatches(ctx, tx, users, 1000); err != nil {
			return fmt.Errorf("insert users: %w", err)
		}
		staff := users[:min(2, len(users))]

		// Ideas, then votes skewed toward popular ideas (Zipf), then comments.
		ideas := make([]Idea, opt.Ideas)
		statusPick := []string{"open", "open", "open", "open", "open", "open", "open", "open", "open", "open",
			"under_review", "under_review", "planned", "planned", "in_progress", "done", "done", "declined"}
		for i := range ideas {
			title := fmt.Sprintf(seedWants[rng.Intn(len(seedWants))], seedThings[rng.Intn(len(seedThings))])
			if i >= len(seedWants)*len(seedThings)/3 {
				title += fmt.Sprintf(" (%d)", i+1)
			}
			body := seedWhy[rng.Intn(len(seedWhy))] + "\n\n" + seedDetail[rng.Intn(len(seedDetail))]
			created := start.Add(time.Duration(rng.Int63n(int64(now.Sub(start)))))
			st := bySlug[statusPick[rng.Intn(len(statusPick))]]
			bodyHTML := markdown.Render(body)
			ideas[i] = Idea{
				BoardID:        boards[rng.Intn(len(boards))].ID,
				AuthorID:       users[rng.Intn(len(users))].ID,
				Title:          title,
				Slug:           Slugify(title),
				Body:           body,
				BodyHTML:       bodyHTML,
				Summary:        markdown.Summary(bodyHTML),
				StatusID:       st.ID,
				TrendScore:     NoTrend,
				CreatedAt:      created,
				UpdatedAt:      created,
				LastActivityAt: created,
			}
			if text, ok := seedResponses[st.Slug]; ok && len(staff) > 0 {
				at := created.Add(time.Duration(rng.Int63n(int64(now.Sub(created)) + 1)))
				ideas[i].Response, ideas[i].ResponseHTML = text, markdown.Render(text)
				ideas[i].ResponseAuthorID = &staff[rng.Intn(len(staff))].ID
				ideas[i].RespondedAt = &at
				ideas[i].UpdatedAt = at
				ideas[i].LastActivityAt = at
				ideas[i].RoadmapPosition = float64(i + 1)
			}
		}

		var votes []seedVote
		if opt.Ideas > 0 && opt.Votes > 0 {
			zipf := rand.NewZipf(rng, 1.1, 8, uint64(opt.Ideas-1))
			seen := make(map[[2]int]bool, opt.Votes)
			perm := rng.Perm(opt.Ideas) // popularity is not tied to age
			for len(votes) < opt.Votes {
				ii := perm[int(zipf.Uint64())]
				if len(seen) > opt.Votes/2 && rng.Intn(4) == 0 {
					ii = rng.Intn(opt.Ideas) // a long tail that reaches everyone
				}
				ui := rng.Intn(len(users))
				if seen[[2]int{ii, ui}] {
					continue
				}
				seen[[2]int{ii, ui}] = true
				idea := &ideas[ii]
				at := idea.CreatedAt.Add(time.Duration(rng.Int63n(int64(now.Sub(idea.CreatedAt)) + 1)))
				votes = append(votes, seedVote{idea: ii, user: ui, at: at})
			}
		}
		// Trend scores are sums: add each idea's votes in time order.
		sort.Slice(votes, func(a, b int) bool { return votes[a].at.Before(votes[b].at) })
		for _, v := range votes {
			idea := &ideas[v.idea]
			idea.VotesCount++
			idea.TrendScore = AddTrend(idea.TrendScore, v.at)
			if v.at.After(idea.LastActivityAt) {
				idea.LastActivityAt = v.at
			}
		}

		type plannedComment struct {
			idea int
			c    Comment
		}
		var comments []plannedComment
		for i := range ideas {
			k := 0
			if ideas[i].VotesCount > 0 {
				k = rng.Intn(min(ideas[i].VotesCount, 6) + 1)
			}
			for j := 0; j < k; j++ {
				author := users[rng.Intn(len(users))]
				text := seedComments[rng.Intn(len(seedComments))]
				at := ideas[i].CreatedAt.Add(time.Duration(rng.Int63n(int64(now.Sub(ideas[i].CreatedAt)) + 1)))
				comments = append(comments, plannedComment{idea: i, c: Comment{
					AuthorID: author.ID, Body: text, BodyHTML: markdown.Render(text),
					IsStaff: author.Role != RoleMember, CreatedAt: at, UpdatedAt: at,
				}})
				ideas[i].CommentsCount++
				if at.After(ideas[i].LastActivityAt) {
					ideas[i].LastActivityAt = at
				}
			}
		}

		if err := insertBatches(ctx, tx, ideas, 400); err != nil {
			return fmt.Errorf("insert ideas: %w", err)
		}

		rows := make([]Vote, len(votes))
		for i, v := range votes {
			rows[i] = Vote{IdeaID: ideas[v.idea].ID, UserID: users[v.user].ID, CreatedAt: v.at}
		}
		if err := insertBatches(ctx, tx, rows, 2000); err != nil {
			return fmt.Errorf("insert votes: %w", err)
		}

		sort.SliceStable(comments, func(a, b int) bool { return comments[a].c.CreatedAt.Before(comments[b].c.CreatedAt) })
		crow := make([]Comment, len(comments))
		for i := range comments {
			crow[i] = comments[i].c
			crow[i].IdeaID = ideas[comments[i].idea].ID
		}
		if err := insertBatches(ctx, tx, crow, 500); err != nil {
			return fmt.Errorf("insert comments: %w", err)
		}

		// Events, in the order things happened, and the authors' subscriptions.
		var events []Event
		var subs []Subscription
		for i := range ideas {
			idea := &ideas[i]
			events = append(events, newEvent(EventIdeaCreated, idea, idea.AuthorID, idea.CreatedAt,
				map[string]any{"title": idea.Title}))
			subs = append(subs, Subscription{IdeaID: idea.ID, UserID: idea.AuthorID, CreatedAt: idea.CreatedAt})
			if idea.RespondedAt != nil {
				st := statusByID(statuses, idea.StatusID)
				events = append(events, newEvent(EventStatusChanged, idea, *idea.ResponseAuthorID, *idea.RespondedAt,
					StatusChange{From: "open", To: st.Slug, ToName: st.Name, Response: idea.Response, ResponseHTML: idea.ResponseHTML}))
			}
		}
		for i := range crow {
			idea := &ideas[comments[i].idea]
			events = append(events, newEvent(EventCommented, idea, crow[i].AuthorID, crow[i].CreatedAt,
				CommentPayload{CommentID: crow[i].ID, BodyHTML: crow[i].BodyHTML}))
		}
		sort.SliceStable(events, func(a, b int) bool { return events[a].CreatedAt.Before(events[b].CreatedAt) })
		if err := insertBatches(ctx, tx, events, 1000); err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
		if err := insertBatches(ctx, tx, subs, 2000); err != nil {
			return fmt.Errorf("insert subscriptions: %w", err)
		}
		res = SeedResult{Users: len(users), Ideas: len(ideas), Votes: len(rows), Comments: len(crow)}
		return nil
	})
	return res, err
}

type seedVote struct {
	idea, user int
	at         time.Time
}

func statusByID(ss []Status, id int64) *Status {
	for i := range ss {
		if ss[i].ID == id {
			return &ss[i]
		}
	}
	return nil
}

func newEvent(kind string, idea *Idea, actor int64, at time.Time, payload any) Event {
	raw, _ := jsonString(payload)
	return Event{Kind: kind, IdeaID: &idea.ID, BoardID: &idea.BoardID, ActorID: &actor, Payload: raw, CreatedAt: at}
}

// seedBoards makes sure the demo boards exist and returns the public ones.
func seedBoards(ctx context.Context, tx bun.Tx, now time.Time) ([]Board, error) {
	demo := []Board{
		{Slug: "integrations", Name: "Integrations", Description: "Connect the product to the tools you already use.", Position: 2, CreatedAt: now},
		{Slug: "mobile", Name: "Mobile apps", Description: "Ideas for the iOS and Android apps.", Position: 3, CreatedAt: now},
	}
	if _, err := tx.NewInsert().Model(&demo).On("CONFLICT (slug) DO NOTHING").Exec(ctx); err != nil {
		return nil, fmt.Errorf("insert boards: %w", err)
	}
	var boards []Board
	if err := tx.NewSelect().Model(&boards).Where("is_private = ?", false).Order("position", "id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("load boards: %w", err)
	}
	if len(boards) == 0 {
		return nil, errors.New("no public board to seed into")
	}
	return boards, nil
}

// insertBatches inserts rows in chunks, filling in their ids.
func insertBatches[T any](ctx context.Context, tx bun.Tx, rows []T, size int) error {
	for i := 0; i < len(rows); i += size {
		chunk := rows[i:min(i+size, len(rows))]
		if _, err := tx.NewInsert().Model(&chunk).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}
