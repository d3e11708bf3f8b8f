package models

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// Search runs on SQLite's FTS5 table ideas_fts (porter stemming) and on
// PostgreSQL's weighted tsvector column ideas.search (english stemming).
// User text never reaches either query language as written: it is cut into
// plain words first, and each word is quoted (FTS5) or passed to
// websearch_to_tsquery (PostgreSQL), so quotes, operators, parentheses, NUL
// bytes and invalid UTF-8 are all just separators.

// Bounds on what one search may ask for.
const (
	maxSearchTerms = 16
	maxTermRunes   = 64
)

// SimilarLimit is how many similar ideas are offered while posting.
const SimilarLimit = 5

// SearchTerms cuts text into the lower-case words a search looks for: runs
// of letters, digits and marks, at most maxSearchTerms of them, each at most
// maxTermRunes long, without repeats.
func SearchTerms(text string) []string {
	var terms []string
	seen := map[string]bool{}
	isWord := func(r rune) bool {
		return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r))
	}
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return !isWord(r) }) {
		f = strings.ToLower(f)
		if utf8.RuneCountInString(f) > maxTermRunes {
			f = string([]rune(f)[:maxTermRunes])
		}
		if seen[f] {
			continue
		}
		seen[f] = true
		terms = append(terms, f)
		if len(terms) == maxSearchTerms {
			break
		}
	}
	return terms
}

// ftsQuery is an FTS5 query matching all (or, with any, some) of the terms,
// each a quoted string; with prefix, the last term also matches the words it
// begins (the word still being typed).
func ftsQuery(terms []string, any, prefix bool) string {
	quoted := make([]string, len(terms))
	for i, t := range terms {
		quoted[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
	}
	if prefix && len(quoted) > 0 {
		quoted[len(quoted)-1] += "*"
	}
	if any {
		return strings.Join(quoted, " OR ")
	}
	return strings.Join(quoted, " ")
}

// tsQueryText is input for websearch_to_tsquery matching all (or, with any,
// some) of the terms. The word "or" is its operator, so it is left out.
func tsQueryText(terms []string, any bool) string {
	kept := terms[:0:0]
	for _, t := range terms {
		if t != "or" {
			kept = append(kept, t)
		}
	}
	if any {
		return strings.Join(kept, " or ")
	}
	return strings.Join(kept, " ")
}

// prefixTSQuery is to_tsquery input matching any of the terms, the last as
// a prefix. The terms are plain words (SearchTerms keeps only letters,
// digits and marks), so none of them can be read as an operator.
func prefixTSQuery(terms []string) string {
	parts := make([]string, len(terms))
	copy(parts, terms)
	parts[len(parts)-1] += ":*"
	return strings.Join(parts, " | ")
}

// searchSpec is one search: the words, how they combine, filters, order
// and where the page starts.
type searchSpec struct {
	terms    []string
	any      bool // match some of the terms rather than all
	prefix   bool // the last term may be the start of a word (with any)
	sort     string
	boardID  int64
	statusID int64
	private  []int64 // boards to leave out
	after    string  // cursor
	limit    int
}

type searchHit struct {
	ID    int64   `bun:"id"`
	Score float64 `bun:"score"`
}

// searchIDs finds the matching visible ideas' ids in order, with their
// relevance score, reading limit+1 rows so the caller knows if more follow.
// Its cost grows with the number of matches, never with the number of ideas.
func searchIDs(ctx context.Context, db *DB, s searchSpec) ([]searchHit, error) {
	if len(s.terms) == 0 {
		return nil, nil
	}
	var (
		from, match, score string
		args               []any
	)
	if db.pg && s.prefix && s.any {
		from = "ideas AS i, to_tsquery('english', ?) AS q(query)"
		args = append(args, prefixTSQuery(s.terms))
		match = "i.search @@ q.query"
		score = "ts_rank(i.search, q.query)::float8"
	} else if db.pg {
		from = "ideas AS i, websearch_to_tsquery('english', ?) AS q(query)"
		args = append(args, tsQueryText(s.terms, s.any))
		match = "i.search @@ q.query"
		score = "ts_rank(i.search, q.query)::float8"
	} else {
		from = "ideas_fts JOIN ideas AS i ON i.id = ideas_fts.rowid"
		args = append(args, ftsQuery(s.terms, s.any, s.prefix && s.any))
		// Title words weigh ten times body words.
		match = "ideas_fts MATCH ? AND ideas_fts.rank MATCH 'bm25(10.0, 1.0)'"
		score = "-ideas_fts.rank"
	}
	sortval := score
	col := ""
	if s.sort != SortRelevance {
		col = sortColumn(s.sort)
		sortval = "i." + col
		if col == "" {
			sortval = "i.id"
		}
	}
	where := []string{match, "i.hidden_at IS NULL", "i.merged_into_id IS NULL"}
	if s.boardID != 0 {
		where = append(where, "i.board_id = ?")
		args = append(args, s.boardID)
	}
	if s.statusID != 0 {
		where = append(where, "i.status_id = ?")
		args = append(args, s.statusID)
	}
	if len(s.private) > 0 {
		where = append(where, "i.board_id NOT IN (?)")
		args = append(args, bun.List(s.private))
	}
	outer := "TRUE"
	if s.after != "" {
		val, id, ok := decodeCursor(s.after)
		if !ok {
			return nil, &ValidationError{Fields: map[string]string{"after": "is not a valid page cursor"}}
		}
		var v any
		var err error
		switch {
		case s.sort == SortRelevance:
			v, err = strconv.ParseFloat(val, 64)
		case col != "":
			v, err = cursorValue(col, val)
		}
		if err != nil {
			return nil, &ValidationError{Fields: map[string]string{"after": "is not a valid page cursor"}}
		}
		if v == nil {
			outer = "s.id < ?"
			args = append(args, id)
		} else {
			outer = "(s.sortval < ? OR (s.sortval = ? AND s.id < ?))"
			args = append(args, v, v, id)
		}
	}
	args = append(args, s.limit+1)
	query := "SELECT s.id, s.score FROM (SELECT i.id AS id, " + score + " AS score, " + sortval + " AS sortval" +
		" FROM " + from + " WHERE " + strings.Join(where, " AND ") + ") AS s" +
		" WHERE " + outer + " ORDER BY s.sortval DESC, s.id DESC LIMIT ?"
	var hits []searchHit
	if err := db.bun.NewRaw(query, args...).Scan(ctx, &hits); err != nil {
		return nil, fmt.Errorf("search: %w", mapErr(err))
	}
	return hits, nil
}

// ideasByIDs loads ideas with board and status, in the order of ids.
func ideasByIDs(ctx context.Context, db *DB, ids []int64) ([]Idea, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var found []Idea
	if err := db.bun.NewSelect().Model(&found).Relation("Board").Relation("Status").
		Where("idea.id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load ideas: %w", mapErr(err))
	}
	byID := make(map[int64]*Idea, len(found))
	for i := range found {
		byID[found[i].ID] = &found[i]
	}
	ideas := make([]Idea, 0, len(ids))
	for _, id := range ids {
		if idea, ok := byID[id]; ok {
			ideas = append(ideas, *idea)
		}
	}
	return ideas, nil
}

// SearchIdeas returns one page of the visible ideas matching q.Search, every
// word of it (stemmed: "themes" finds "theme"). Without a sort, or with
// SortRelevance, the best matches come first (title words weigh more than
// body words); any other sort orders the matches by that column. Filters,
// visibility and keyset paging work as in ListIdeas. Text with no words in
// it matches nothing.
func SearchIdeas(ctx context.Context, db *DB, q IdeaQuery) (IdeaPage, error) {
	if q.Limit <= 0 || q.Limit > 100 {
		q.Limit = 20
	}
	if !ValidSort(q.Sort) {
		q.Sort = SortRelevance
	}
	spec := searchSpec{
		terms: SearchTerms(q.Search), sort: q.Sort, boardID: q.BoardID, statusID: q.StatusID,
		after: q.After, limit: q.Limit,
	}
	if !q.Viewer.IsStaff() {
		private, err := privateBoardIDs(ctx, db.bun)
		if err != nil {
			return IdeaPage{}, fmt.Errorf("search: %w", err)
		}
		spec.private = private
	}
	hits, err := searchIDs(ctx, db, spec)
	if err != nil {
		return IdeaPage{}, err
	}
	more := len(hits) > q.Limit
	if more {
		hits = hits[:q.Limit]
	}
	ids := make([]int64, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	ideas, err := ideasByIDs(ctx, db, ids)
	if err != nil {
		return IdeaPage{}, fmt.Errorf("search: %w", err)
	}
	page := IdeaPage{Ideas: ideas}
	if more && len(hits) > 0 {
		last := hits[len(hits)-1]
		val := strconv.FormatFloat(last.Score, 'g', -1, 64)
		if q.Sort != SortRelevance {
			val = ""
			for i := range ideas {
				if ideas[i].ID == last.ID {
					val = cursorOf(sortColumn(q.Sort), &ideas[i])
				}
			}
		}
		page.Next = encodeCursor(val, last.ID)
	}
	return page, nil
}

// SimilarIdeas offers up to limit (at most SimilarLimit) visible ideas whose
// title or description shares words with text, best match first, so that
// someone about to post can vote for an existing idea instead.
func SimilarIdeas(ctx context.Context, db *DB, text string, viewer *User, limit int) ([]Idea, error) {
	spec := searchSpec{}
	if !viewer.IsStaff() {
		private, err := privateBoardIDs(ctx, db.bun)
		if err != nil {
			return nil, fmt.Errorf("similar ideas: %w", err)
		}
		spec.private = private
	}
	return similarIdeas(ctx, db, text, spec, limit)
}

// MergeTargets is SimilarIdeas for the staff picker that merges dup into an
// original: it offers only ideas dup may merge into (see
// checkMergePrivacy), those of its own board when that board is private,
// else those of public boards. dup.Board must be loaded.
func MergeTargets(ctx context.Context, db *DB, text string, dup *Idea, limit int) ([]Idea, error) {
	spec := searchSpec{}
	if dup.Board == nil || dup.Board.IsPrivate {
		spec.boardID = dup.BoardID
	} else {
		private, err := privateBoardIDs(ctx, db.bun)
		if err != nil {
			return nil, fmt.Errorf("merge targets: %w", err)
		}
		spec.private = private
	}
	return similarIdeas(ctx, db, text, spec, limit)
}

// similarIdeas runs a suggestion search over the ideas spec leaves in.
func similarIdeas(ctx context.Context, db *DB, text string, spec searchSpec, limit int) ([]Idea, error) {
	if limit <= 0 || limit > SimilarLimit {
		limit = SimilarLimit
	}
	for _, t := range SearchTerms(text) {
		if utf8.RuneCountInString(t) > 1 {
			spec.terms = append(spec.terms, t)
		}
	}
	// Suggestions come while the title is typed: its last word may be cut.
	spec.any, spec.prefix, spec.sort, spec.limit = true, true, SortRelevance, limit
	hits, err := searchIDs(ctx, db, spec)
	if err != nil {
		return nil, fmt.Errorf("similar ideas: %w", err)
	}
	if len(hits) > limit {
		hits = hits[:limit]
	}
	ids := make([]int64, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	return ideasByIDs(ctx, db, ids)
}
