package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// ImportSet is what an importer read from another tool, in that tool's own
// keys. Import writes it in one transaction: everything or nothing.
//
// Imported history is written as rows, not replayed through CreateIdea,
// Vote or ChangeStatus: its events are recorded for timelines and feeds, but
// no notification or mail job is enqueued for it, and nobody is signed in.
type ImportSet struct {
	Source   string // names the source in import_keys: "fider", "csv"
	People   []ImportPerson
	Boards   []ImportBoard
	Ideas    []ImportIdea
	Votes    []ImportVote
	Comments []ImportComment

	// Progress, when set, hears of long work now and then.
	Progress func(msg string)
}

// ImportPerson is someone the source knows. People are matched to existing
// accounts by email, then by external id; otherwise an account is made with
// the email unverified and the member role, so it receives no mail and no
// powers until its owner signs in.
type ImportPerson struct {
	Key        string
	Name       string
	Email      string // "" when the source knows none
	ExternalID string // their id in the company's own app, when known
	Identities []ImportIdentity
	Blocked    bool
	CreatedAt  time.Time
}

// ImportIdentity records a sign-in the source knew the person by. It is
// stored under a provider name that no sign-in here answers to, so it links
// but never authenticates.
type ImportIdentity struct {
	Provider, Subject string
}

// ImportBoard is a board to find by slug or create.
type ImportBoard struct {
	Key, Slug, Name string
	IsPrivate       bool
}

// ImportIdea is an idea with its status and response. BoardKey "" means the
// first board.
type ImportIdea struct {
	Key, BoardKey, AuthorKey string
	Title, Body              string
	Status                   string // a status slug
	Hidden                   bool
	DuplicateOf              string // the original's key, for duplicates
	Response                 string
	ResponseAuthorKey        string
	RespondedAt              *time.Time
	CreatedAt                time.Time
}

// ImportVote is one person's vote for one idea.
type ImportVote struct {
	IdeaKey, PersonKey string
	CreatedAt          time.Time
}

// ImportComment is a comment; a hidden one is kept out of sight.
type ImportComment struct {
	Key, IdeaKey, AuthorKey, Body string
	IsStaff, Hidden               bool
	CreatedAt, UpdatedAt          time.Time
}

// ImportReport counts what an import did. "Known" counts what an earlier run
// of the same import already brought in and this one left alone.
type ImportReport struct {
	People, PeopleMatched, PeopleKnown int
	Boards, BoardsMatched, BoardsKnown int
	Ideas, HiddenIdeas, IdeasKnown     int
	Votes, VotesKnown                  int
	Comments, HiddenComments           int
	CommentsKnown                      int
}

// Changed reports whether the import added anything.
func (r *ImportReport) Changed() bool {
	return r.People+r.PeopleMatched+r.Boards+r.BoardsMatched+r.Ideas+r.Votes+r.Comments > 0
}

// importKey is a row of import_keys.
type importKey struct {
	bun.BaseModel `bun:"table:import_keys"`

	Source    string    `bun:"source,pk"`
	Kind      string    `bun:"kind,pk"`
	Key       string    `bun:"key,pk"`
	LocalID   int64     `bun:"local_id"`
	CreatedAt time.Time `bun:"created_at"`
}

// Kinds of import keys.
const (
	importPerson  = "person"
	importBoard   = "board"
	importIdea    = "idea"
	importVote    = "vote"
	importComment = "comment"
)

// importer is one import's state inside its transaction.
type importer struct {
	tx       bun.Tx
	set      *ImportSet
	now      time.Time
	rep      ImportReport
	known    map[string]int64 // kind + "\x00" + key -> local id
	fresh    []importKey
	statuses map[string]*Status
	touched  map[int64]bool // ideas whose counters need computing
}

// Import writes the set in one transaction. A key seen in an earlier run of
// the same source is not written again.
func Import(ctx context.Context, db *DB, set *ImportSet) (*ImportReport, error) {
	var rep ImportReport
	err := db.inTx(ctx, func(tx bun.Tx) error {
		im := &importer{tx: tx, set: set, now: db.Now(), known: map[string]int64{}, touched: map[int64]bool{}}
		if err := im.load(ctx); err != nil {
			return err
		}
		steps := []func(context.Context) error{im.people, im.boards, im.ideas, im.votes, im.comments, im.recount, im.saveKeys}
		for _, step := range steps {
			if err := step(ctx); err != nil {
				return err
			}
		}
		rep = im.rep
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("import from %s: %w", set.Source, err)
	}
	return &rep, nil
}

func (im *importer) progress(format string, args ...any) {
	if im.set.Progress != nil {
		im.set.Progress(fmt.Sprintf(format, args...))
	}
}

// load reads the keys of earlier runs and the statuses.
func (im *importer) load(ctx context.Context) error {
	var keys []importKey
	if err := im.tx.NewSelect().Model(&keys).Where("source = ?", im.set.Source).Scan(ctx); err != nil {
		return fmt.Errorf("read import keys: %w", err)
	}
	for _, k := range keys {
		im.known[k.Kind+"\x00"+k.Key] = k.LocalID
	}
	var statuses []Status
	if err := im.tx.NewSelect().Model(&statuses).Scan(ctx); err != nil {
		return fmt.Errorf("read statuses: %w", err)
	}
	im.statuses = map[string]*Status{}
	for i := range statuses {
		im.statuses[statuses[i].Slug] = &statuses[i]
	}
	return nil
}

// lookup returns the local id of a key, from this run or an earlier one.
func (im *importer) lookup(kind, key string) (int64, bool) {
	id, ok := im.known[kind+"\x00"+key]
	return id, ok
}

// remember maps a key to the row it became.
func (im *importer) remember(kind, key string, id int64) {
	im.known[kind+"\x00"+key] = id
	im.fresh = append(im.fresh, importKey{Source: im.set.Source, Kind: kind, Key: key, LocalID: id, CreatedAt: im.now})
}

func (im *importer) saveKeys(ctx context.Context) error {
	const batch = 500
	for start := 0; start < len(im.fresh); start += batch {
		rows := im.fresh[start:min(start+batch, len(im.fresh))]
		if _, err := im.tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return fmt.Errorf("store import keys: %w", err)
		}
	}
	return nil
}

// person returns the local id of a person's key, which must have been read.
func (im *importer) person(key string) (int64, error) {
	id, ok := im.lookup(importPerson, key)
	if !ok {
		return 0, fmt.Errorf("unknown person %q", key)
	}
	return id, nil
}

// people finds or creates everyone in the set.
func (im *importer) people(ctx context.Context) error {
	for _, p := range im.set.People {
		if _, ok := im.lookup(importPerson, p.Key); ok {
			im.rep.PeopleKnown++
			continue
		}
		id, err := im.matchPerson(ctx, p)
		if err != nil {
			return err
		}
		if id != 0 {
			im.rep.PeopleMatched++
		} else {
			u := &User{Name: clip(cleanLine(p.Name), 200), Role: RoleMember, CreatedAt: p.CreatedAt, NotifyStatus: true, NotifyComments: true}
			if u.Name == "" {
				u.Name = "Anonymous"
			}
			if e := strings.TrimSpace(p.Email); e != "" {
				u.Email = &e
			}
			if p.ExternalID != "" {
				x := clip(p.ExternalID, 200)
				u.ExternalID = &x
			}
			if p.Blocked {
				u.BlockedAt = &im.now
			}
			if _, err := im.tx.NewInsert().Model(u).Exec(ctx); err != nil {
				return fmt.Errorf("insert person %q: %w", p.Key, err)
			}
			id = u.ID
			im.rep.People++
		}
		for _, ident := range p.Identities {
			row := &Identity{UserID: id, Provider: clip(ident.Provider, 50), ProviderUserID: clip(ident.Subject, 255), CreatedAt: p.CreatedAt}
			if _, err := im.tx.NewInsert().Model(row).On("CONFLICT (provider, provider_user_id) DO NOTHING").Exec(ctx); err != nil {
				return fmt.Errorf("insert identity of %q: %w", p.Key, err)
			}
		}
		im.remember(importPerson, p.Key, id)
	}
	return nil
}

// matchPerson finds an existing account by email, then external id, then
// one of the identities; 0 when none matches.
func (im *importer) matchPerson(ctx context.Context, p ImportPerson) (int64, error) {
	var tries []func(*bun.SelectQuery) *bun.SelectQuery
	if e := strings.TrimSpace(p.Email); e != "" {
		tries = append(tries, func(q *bun.SelectQuery) *bun.SelectQuery { return q.Where("lower(email) = lower(?)", e) })
	}
	if p.ExternalID != "" {
		tries = append(tries, func(q *bun.SelectQuery) *bun.SelectQuery { return q.Where("external_id = ?", p.ExternalID) })
	}
	for _, ident := range p.Identities {
		tries = append(tries, func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("id IN (SELECT user_id FROM identities WHERE provider = ? AND provider_user_id = ?)", ident.Provider, ident.Subject)
		})
	}
	for _, where := range tries {
		var ids []int64
		if err := where(im.tx.NewSelect().Table("users").Column("id").Limit(1)).Scan(ctx, &ids); err != nil {
			return 0, fmt.Errorf("match person %q: %w", p.Key, err)
		}
		if len(ids) > 0 {
			return ids[0], nil
		}
	}
	return 0, nil
}

// boards finds boards by slug, then by name, or creates them, public or
// private as read.
func (im *importer) boards(ctx context.Context) error {
	for _, b := range im.set.Boards {
		if _, ok := im.lookup(importBoard, b.Key); ok {
			im.rep.BoardsKnown++
			continue
		}
		b.Slug = ImportBoardSlug(b.Slug, b.Name)
		var ids []int64
		if err := im.tx.NewSelect().Table("boards").Column("id").Where("slug = ? OR lower(name) = lower(?)", b.Slug, cleanLine(b.Name)).
			OrderExpr("slug = ? DESC, id", b.Slug).Limit(1).Scan(ctx, &ids); err != nil {
			return fmt.Errorf("find board %q: %w", b.Slug, err)
		}
		if len(ids) > 0 {
			im.rep.BoardsMatched++
			im.remember(importBoard, b.Key, ids[0])
			continue
		}
		var pos int
		if err := im.tx.NewSelect().Table("boards").ColumnExpr("COALESCE(max(position), 0) + 1").Scan(ctx, &pos); err != nil {
			return fmt.Errorf("last board position: %w", err)
		}
		board := &Board{Slug: b.Slug, Name: clip(cleanLine(b.Name), 200), IsPrivate: b.IsPrivate, Position: min(pos, BoardPositionMax), CreatedAt: im.now}
		if _, err := im.tx.NewInsert().Model(board).Exec(ctx); err != nil {
			return fmt.Errorf("insert board %q: %w", b.Slug, err)
		}
		payload, err := jsonString(BoardPayload{Name: board.Name, Slug: board.Slug, IsPrivate: board.IsPrivate})
		if err != nil {
			return err
		}
		ev := &Event{Kind: EventBoardCreated, BoardID: &board.ID, Payload: payload, CreatedAt: im.now}
		if _, err := im.tx.NewInsert().Model(ev).Exec(ctx); err != nil {
			return fmt.Errorf("record board %q: %w", b.Slug, err)
		}
		im.rep.Boards++
		im.remember(importBoard, b.Key, board.ID)
	}
	return nil
}

// ImportBoardSlug makes a board slug from a source's slug, or its name when
// the slug is empty: lower-case ASCII letters and digits joined by dashes.
func ImportBoardSlug(slug, name string) string {
	if strings.TrimSpace(slug) == "" {
		slug = name
	}
	words := strings.FieldsFunc(strings.ToLower(slug), func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9')
	})
	s := strings.Join(words, "-")
	if len(s) > BoardSlugMaxLen {
		s = strings.Trim(s[:BoardSlugMaxLen], "-")
	}
	if s == "" {
		return "board"
	}
	return s
}
