package cli

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cluetrain/cluetrain/models"
)

// csvColumns are the columns a CSV import reads, in the README's order.
var csvColumns = []string{"title", "body", "board", "status", "author_email", "author_name", "created_at", "voters"}

// csvRequired must be in the header.
var csvRequired = []string{"title", "author_email"}

// maxTitleRunes is the width of ideas.title.
const maxTitleRunes = 200

// csvRow is one line of the file, checked.
type csvRow struct {
	line                int
	title, body, board  string
	status              string // as written; matched to a status later
	authorEmail, author string
	createdAt           time.Time
	dated               bool
	voters              []string // lower-case addresses, each once
}

// csvProblem is a bad row: its line and what is wrong with it.
type csvProblem struct {
	line int
	msg  string
}

// readCSV reads and checks every row. A file it cannot read at all is an
// error; rows it can read but not use are problems, all of them reported.
func readCSV(r io.Reader) ([]csvRow, []csvProblem, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, errors.New("the file is empty: want a header row")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
		if !slices.Contains(csvColumns, h) {
			return nil, nil, fmt.Errorf("line 1: unknown column %q (want %s)", h, strings.Join(csvColumns, ", "))
		}
		if _, dup := col[h]; dup {
			return nil, nil, fmt.Errorf("line 1: column %q appears twice", h)
		}
		col[h] = i
	}
	for _, c := range csvRequired {
		if _, ok := col[c]; !ok {
			return nil, nil, fmt.Errorf("line 1: the header has no %q column", c)
		}
	}
	var (
		rows     []csvRow
		problems []csvProblem
	)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A broken quote leaves the rest of the file unreadable.
			return nil, nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			problems = append(problems, csvProblem{line, fmt.Sprintf("%d fields, the header has %d", len(rec), len(header))})
			continue
		}
		field := func(name string) string {
			if i, ok := col[name]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row, msgs := csvCheck(line, field)
		for _, m := range msgs {
			problems = append(problems, csvProblem{line, m})
		}
		if len(msgs) == 0 {
			rows = append(rows, row)
		}
	}
	return rows, problems, nil
}

// csvCheck checks one row's fields.
func csvCheck(line int, field func(string) string) (csvRow, []string) {
	var msgs []string
	row := csvRow{line: line, title: field("title"), body: field("body"), board: field("board"), status: field("status"), author: field("author_name")}
	switch n := utf8.RuneCountInString(row.title); {
	case n == 0:
		msgs = append(msgs, "title is empty")
	case n > maxTitleRunes:
		msgs = append(msgs, fmt.Sprintf("title has %d characters, more than %d", n, maxTitleRunes))
	}
	if n := utf8.RuneCountInString(row.board); n > models.BoardNameMaxRunes || n == 1 {
		msgs = append(msgs, fmt.Sprintf("board name has %d characters: a board's name has %d to %d", n, models.BoardNameMinRunes, models.BoardNameMaxRunes))
	}
	if e, ok := csvEmail(field("author_email")); ok {
		row.authorEmail = e
	} else {
		msgs = append(msgs, fmt.Sprintf("author_email %q is not an email address", field("author_email")))
	}
	if d := field("created_at"); d != "" {
		t, err := time.Parse(time.RFC3339, d)
		if err != nil {
			t, err = time.Parse(time.DateOnly, d)
		}
		if err != nil {
			msgs = append(msgs, fmt.Sprintf("created_at %q is neither RFC 3339 (2024-03-01T10:00:00Z) nor a date (2024-03-01)", d))
		}
		row.createdAt, row.dated = t.UTC(), true
	}
	seen := map[string]bool{}
	for _, v := range strings.FieldsFunc(field("voters"), func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' }) {
		e, ok := csvEmail(v)
		if !ok {
			msgs = append(msgs, fmt.Sprintf("voter %q is not an email address", v))
			continue
		}
		if !seen[e] {
			seen[e] = true
			row.voters = append(row.voters, e)
		}
	}
	return row, msgs
}

// csvEmail checks a bare address and returns it in lower case.
func csvEmail(s string) (string, bool) {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", false
	}
	return strings.ToLower(s), true
}

// key names the row's idea across runs: its title, author and date.
func (r *csvRow) key() string {
	date := ""
	if r.dated {
		date = r.createdAt.Format(time.RFC3339)
	}
	sum := sha256.Sum256([]byte(r.title + "\x00" + r.authorEmail + "\x00" + date))
	return hex.EncodeToString(sum[:])
}

// csvSet checks the rows against the portal's statuses and builds the
// import; rows naming a status the portal lacks are problems.
func csvSet(rows []csvRow, statuses []models.Status, now time.Time) (*models.ImportSet, []csvProblem) {
	set := &models.ImportSet{Source: "csv"}
	var problems []csvProblem
	people := map[string]int{} // email -> index in set.People
	person := func(email, name string, at time.Time) {
		if i, ok := people[email]; ok {
			if name != "" && set.People[i].Name == strings.Split(email, "@")[0] {
				set.People[i].Name = name
			}
			return
		}
		if name == "" {
			name = strings.Split(email, "@")[0]
		}
		people[email] = len(set.People)
		set.People = append(set.People, models.ImportPerson{Key: email, Name: name, Email: email, CreatedAt: at})
	}
	boards := map[string]bool{}
	ideas := map[string]int{} // key -> line
	for _, r := range rows {
		status, ok := csvStatus(r.status, statuses)
		if !ok {
			problems = append(problems, csvProblem{r.line, fmt.Sprintf("status %q is not one of this portal's statuses (%s)", r.status, statusSlugs(statuses))})
			continue
		}
		key := r.key()
		if first, dup := ideas[key]; dup {
			problems = append(problems, csvProblem{r.line, fmt.Sprintf("the same title, author and date as line %d", first)})
			continue
		}
		ideas[key] = r.line
		at := now
		if r.dated {
			at = r.createdAt
		}
		person(r.authorEmail, r.author, at)
		idea := models.ImportIdea{Key: key, AuthorKey: r.authorEmail, Title: r.title, Body: r.body, Status: status, CreatedAt: at}
		if r.board != "" {
			slug := models.ImportBoardSlug("", r.board)
			idea.BoardKey = slug
			if !boards[slug] {
				boards[slug] = true
				set.Boards = append(set.Boards, models.ImportBoard{Key: slug, Slug: slug, Name: r.board})
			}
		}
		set.Ideas = append(set.Ideas, idea)
		for _, v := range r.voters {
			person(v, "", at)
			set.Votes = append(set.Votes, models.ImportVote{IdeaKey: key, PersonKey: v, CreatedAt: at})
		}
	}
	return set, problems
}

// csvStatus matches a status by slug or name, ignoring case; blank is open.
func csvStatus(s string, statuses []models.Status) (string, bool) {
	if s == "" {
		s = "open"
	}
	for _, st := range statuses {
		if strings.EqualFold(s, st.Slug) || strings.EqualFold(s, st.Name) {
			return st.Slug, true
		}
	}
	return "", false
}

func statusSlugs(statuses []models.Status) string {
	slugs := make([]string, len(statuses))
	for i, s := range statuses {
		slugs[i] = s.Slug
	}
	return strings.Join(slugs, ", ")
}
