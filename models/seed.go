package models

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"time"

	"github.com/uptrace/bun"

	"github.com/cluetrain/cluetrain/app/markdown"
)

// SeedOptions sizes the demo data.
type SeedOptions struct {
	Users, Ideas, Votes int
	Seed                int64
	Force               bool

	// Companies, when above 0, makes most people customers of that many
	// companies, with plans and monthly revenue, and gives some votes an
	// importance, so triage has something to weigh. Without it the data
	// is exactly what it always was.
	Companies int

	// Progress, when set, hears how many rows of each table are written
	// so far, after every batch.
	Progress ExportProgress
}

// SeedResult counts what was written.
type SeedResult struct {
	Users, Ideas, Votes, Comments int
}

// ErrNotEmpty is returned when seeding a portal that already has ideas.
var ErrNotEmpty = errors.New("the database already has ideas (use --force to add demo data anyway)")

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
	now := db.Now().Truncate(24 * time.Hour)
	s := &seeder{rng: rand.New(rand.NewSource(opt.Seed)), now: now, start: now.Add(-180 * 24 * time.Hour), progress: opt.Progress}

	err = db.inTx(ctx, func(tx bun.Tx) error {
		if err := s.load(ctx, tx); err != nil {
			return err
		}
		// Plan everything first, in an order that keeps the random stream
		// (and so the data) the same for the same seed; then write it.
		if err := s.users(ctx, tx, opt.Users); err != nil {
			return err
		}
		s.ideas(opt.Ideas)
		s.votes(opt.Votes)
		s.comments()
		if err := s.write(ctx, tx); err != nil {
			return err
		}
		if opt.Companies > 0 {
			if err := s.customers(ctx, tx, db.pg, opt.Companies, opt.Seed); err != nil {
				return err
			}
		}
		res = SeedResult{Users: len(s.people), Ideas: len(s.posts), Votes: len(s.ballots), Comments: len(s.remarks)}
		return nil
	})
	return res, err
}

// seeder plans the demo data and writes it.
type seeder struct {
	rng        *rand.Rand
	now, start time.Time
	progress   ExportProgress

	boards   []Board
	statuses []Status
	bySlug   map[string]*Status

	people  []User
	staff   []User
	posts   []Idea
	ballots []seedVote
	remarks []seedComment
}

type seedVote struct {
	idea, user int
	at         time.Time
}

type seedComment struct {
	idea int
	c    Comment
}

// load makes sure the demo boards exist and reads the statuses.
func (s *seeder) load(ctx context.Context, tx bun.Tx) error {
	var err error
	if s.boards, err = seedBoards(ctx, tx, s.now); err != nil {
		return err
	}
	if err := tx.NewSelect().Model(&s.statuses).Order("position").Scan(ctx); err != nil {
		return fmt.Errorf("load statuses: %w", err)
	}
	s.bySlug = map[string]*Status{}
	for i := range s.statuses {
		s.bySlug[s.statuses[i].Slug] = &s.statuses[i]
	}
	return nil
}

// users inserts n people after those already there; the first two answer
// for the company.
func (s *seeder) users(ctx context.Context, tx bun.Tx, n int) error {
	var existing int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&existing); err != nil {
		return fmt.Errorf("count users: %w", err)
	}
	s.people = make([]User, n)
	for i := range s.people {
		k := existing + i + 1
		email := fmt.Sprintf("user%d@example.com", k)
		role := RoleMember
		if i < 2 {
			role = RoleStaff
			email = fmt.Sprintf("staff%d@example.com", k)
		}
		s.people[i] = User{
			Name:          seedFirst[s.rng.Intn(len(seedFirst))] + " " + seedLast[s.rng.Intn(len(seedLast))],
			Email:         &email,
			EmailVerified: true,
			Role:          role,
			CreatedAt:     s.start.Add(time.Duration(s.rng.Int63n(int64(90 * 24 * time.Hour)))),
		}
	}
	if err := insertBatches(ctx, tx, s.people, 1000, s.report("users")); err != nil {
		return fmt.Errorf("insert users: %w", err)
	}
	s.staff = s.people[:min(2, len(s.people))]
	return nil
}

// ideas plans n ideas over the last six months, some answered by staff.
func (s *seeder) ideas(n int) {
	rng := s.rng
	s.posts = make([]Idea, n)
	statusPick := []string{"open", "open", "open", "open", "open", "open", "open", "open", "open", "open",
		"under_review", "under_review", "planned", "planned", "in_progress", "done", "done", "declined"}
	for i := range s.posts {
		title := fmt.Sprintf(seedWants[rng.Intn(len(seedWants))], seedThings[rng.Intn(len(seedThings))])
		if i >= len(seedWants)*len(seedThings)/3 {
			title += fmt.Sprintf(" (%d)", i+1)
		}
		body := seedWhy[rng.Intn(len(seedWhy))] + "\n\n" + seedDetail[rng.Intn(len(seedDetail))]
		created := s.start.Add(time.Duration(rng.Int63n(int64(s.now.Sub(s.start)))))
		st := s.bySlug[statusPick[rng.Intn(len(statusPick))]]
		bodyHTML := markdown.Render(body)
		idea := &s.posts[i]
		*idea = Idea{
			BoardID:        s.boards[rng.Intn(len(s.boards))].ID,
			AuthorID:       s.people[rng.Intn(len(s.people))].ID,
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
		if text, ok := seedResponses[st.Slug]; ok && len(s.staff) > 0 {
			at := created.Add(time.Duration(rng.Int63n(int64(s.now.Sub(created)) + 1)))
			idea.Response, idea.ResponseHTML = text, markdown.Render(text)
			idea.ResponseAuthorID = &s.staff[rng.Intn(len(s.staff))].ID
			idea.RespondedAt = &at
			idea.UpdatedAt = at
			idea.LastActivityAt = at
			idea.RoadmapPosition = float64(i + 1)
		}
	}
}

// votes plans n distinct votes skewed toward popular ideas (Zipf), with a
// long tail, and adds them to each idea's counters in time order (trend
// scores are sums, so order matters).
func (s *seeder) votes(n int) {
	rng := s.rng
	if len(s.posts) > 0 && n > 0 {
		zipf := rand.NewZipf(rng, 1.1, 8, uint64(len(s.posts)-1))
		seen := make(map[[2]int]bool, n)
		perm := rng.Perm(len(s.posts)) // popularity is not tied to age
		for len(s.ballots) < n {
			ii := perm[int(zipf.Uint64())]
			if len(seen) > n/2 && rng.Intn(4) == 0 {
				ii = rng.Intn(len(s.posts)) // a long tail that reaches everyone
			}
			ui := rng.Intn(len(s.people))
			if seen[[2]int{ii, ui}] {
				continue
			}
			seen[[2]int{ii, ui}] = true
			idea := &s.posts[ii]
			at := idea.CreatedAt.Add(time.Duration(rng.Int63n(int64(s.now.Sub(idea.CreatedAt)) + 1)))
			s.ballots = append(s.ballots, seedVote{idea: ii, user: ui, at: at})
		}
	}
	sort.Slice(s.ballots, func(a, b int) bool { return s.ballots[a].at.Before(s.ballots[b].at) })
	for _, v := range s.ballots {
		idea := &s.posts[v.idea]
		idea.VotesCount++
		idea.TrendScore = AddTrend(idea.TrendScore, v.at)
		if v.at.After(idea.LastActivityAt) {
			idea.LastActivityAt = v.at
		}
	}
}

// comments plans a few comments on ideas that have votes.
func (s *seeder) comments() {
	rng := s.rng
	for i := range s.posts {
		idea := &s.posts[i]
		k := 0
		if idea.VotesCount > 0 {
			k = rng.Intn(min(idea.VotesCount, 6) + 1)
		}
		for j := 0; j < k; j++ {
			author := s.people[rng.Intn(len(s.people))]
			text := seedComments[rng.Intn(len(seedComments))]
			at := idea.CreatedAt.Add(time.Duration(rng.Int63n(int64(s.now.Sub(idea.CreatedAt)) + 1)))
			s.remarks = append(s.remarks, seedComment{idea: i, c: Comment{
				AuthorID: author.ID, Body: text, BodyHTML: markdown.Render(text),
				IsStaff: author.Role != RoleMember, CreatedAt: at, UpdatedAt: at,
			}})
			idea.CommentsCount++
			if at.After(idea.LastActivityAt) {
				idea.LastActivityAt = at
			}
		}
	}
	sort.SliceStable(s.remarks, func(a, b int) bool { return s.remarks[a].c.CreatedAt.Before(s.remarks[b].c.CreatedAt) })
}

// write inserts the planned ideas, votes and comments, then the events
// that tell their story in the order things happened, and the authors'
// subscriptions.
func (s *seeder) write(ctx context.Context, tx bun.Tx) error {
	if err := insertBatches(ctx, tx, s.posts, 400, s.report("ideas")); err != nil {
		return fmt.Errorf("insert ideas: %w", err)
	}
	votes := make([]Vote, len(s.ballots))
	for i, v := range s.ballots {
		votes[i] = Vote{IdeaID: s.posts[v.idea].ID, UserID: s.people[v.user].ID, CreatedAt: v.at}
	}
	if err := insertBatches(ctx, tx, votes, 2000, s.report("votes")); err != nil {
		return fmt.Errorf("insert votes: %w", err)
	}
	comments := make([]Comment, len(s.remarks))
	for i := range s.remarks {
		comments[i] = s.remarks[i].c
		comments[i].IdeaID = s.posts[s.remarks[i].idea].ID
	}
	if err := insertBatches(ctx, tx, comments, 500, s.report("comments")); err != nil {
		return fmt.Errorf("insert comments: %w", err)
	}

	var events []Event
	var subs []Subscription
	for i := range s.posts {
		idea := &s.posts[i]
		events = append(events, newEvent(EventIdeaCreated, idea, idea.AuthorID, idea.CreatedAt,
			map[string]any{"title": idea.Title}))
		subs = append(subs, Subscription{IdeaID: idea.ID, UserID: idea.AuthorID, CreatedAt: idea.CreatedAt})
		if idea.RespondedAt != nil {
			st := statusByID(s.statuses, idea.StatusID)
			events = append(events, newEvent(EventStatusChanged, idea, *idea.ResponseAuthorID, *idea.RespondedAt,
				StatusChange{From: "open", To: st.Slug, ToName: st.Name, Response: idea.Response, ResponseHTML: idea.ResponseHTML}))
		}
	}
	for i := range comments {
		idea := &s.posts[s.remarks[i].idea]
		events = append(events, newEvent(EventCommented, idea, comments[i].AuthorID, comments[i].CreatedAt,
			CommentPayload{CommentID: comments[i].ID, BodyHTML: comments[i].BodyHTML}))
	}
	sort.SliceStable(events, func(a, b int) bool { return events[a].CreatedAt.Before(events[b].CreatedAt) })
	if err := insertBatches(ctx, tx, events, 1000, s.report("events")); err != nil {
		return fmt.Errorf("insert events: %w", err)
	}
	if err := insertBatches(ctx, tx, subs, 2000, s.report("subscriptions")); err != nil {
		return fmt.Errorf("insert subscriptions: %w", err)
	}
	return nil
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

// report is the progress callback for one table: rows written so far.
func (s *seeder) report(table string) func(int) {
	return func(rows int) {
		if s.progress != nil {
			s.progress(table, rows)
		}
	}
}

// insertBatches inserts rows in chunks, filling in their ids, and says
// how many are in after each.
func insertBatches[T any](ctx context.Context, tx bun.Tx, rows []T, size int, done func(int)) error {
	for i := 0; i < len(rows); i += size {
		chunk := rows[i:min(i+size, len(rows))]
		if _, err := tx.NewInsert().Model(&chunk).Exec(ctx); err != nil {
			return err
		}
		done(i + len(chunk))
	}
	return nil
}
