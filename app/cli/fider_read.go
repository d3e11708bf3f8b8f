package cli

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxZipMember bounds what one member of an uploaded archive may expand to,
// so that a small zip cannot fill memory.
const maxZipMember = 200 << 20

// fiderBackup is the part of a Fider backup Cluetrain reads. Fider writes
// each table as a JSON array of rows keyed by column name.
type fiderBackup struct {
	Users         []fiderUser
	UserProviders []fiderUserProvider
	Tags          []fiderTag
	PostTags      []fiderPostTag
	Posts         []fiderPost
	Votes         []fiderVote
	Comments      []fiderComment
	Blobs         int // files under blobs/: uploaded images
}

type fiderUser struct {
	ID        flexString `json:"id"`
	Name      flexString `json:"name"`
	Email     flexString `json:"email"`
	Role      flexInt    `json:"role"`   // 1 visitor, 2 collaborator, 3 administrator
	Status    flexInt    `json:"status"` // 1 active, 2 deleted, 3 blocked
	CreatedAt flexTime   `json:"created_at"`
}

type fiderUserProvider struct {
	UserID      flexString `json:"user_id"`
	Provider    flexString `json:"provider"`
	ProviderUID flexString `json:"provider_uid"`
}

type fiderTag struct {
	ID       flexString `json:"id"`
	Name     flexString `json:"name"`
	Slug     flexString `json:"slug"`
	IsPublic bool       `json:"is_public"`
}

type fiderPostTag struct {
	PostID flexString `json:"post_id"`
	TagID  flexString `json:"tag_id"`
}

type fiderPost struct {
	ID             flexString `json:"id"`
	Number         flexInt    `json:"number"`
	Title          flexString `json:"title"`
	Description    flexString `json:"description"`
	UserID         flexString `json:"user_id"`
	Status         flexInt    `json:"status"`
	Response       flexString `json:"response"`
	ResponseUserID flexString `json:"response_user_id"`
	ResponseDate   flexTime   `json:"response_date"`
	OriginalID     flexString `json:"original_id"`
	IsApproved     *bool      `json:"is_approved"` // null before moderation existed
	CreatedAt      flexTime   `json:"created_at"`
}

type fiderVote struct {
	PostID    flexString `json:"post_id"`
	UserID    flexString `json:"user_id"`
	CreatedAt flexTime   `json:"created_at"`
}

type fiderComment struct {
	ID         flexString `json:"id"`
	PostID     flexString `json:"post_id"`
	UserID     flexString `json:"user_id"`
	Content    flexString `json:"content"`
	CreatedAt  flexTime   `json:"created_at"`
	EditedAt   flexTime   `json:"edited_at"`
	DeletedAt  flexTime   `json:"deleted_at"`
	IsApproved *bool      `json:"is_approved"`
}

// readFiderBackup reads and checks the archive. Every member is checked
// before any is used: a path that climbs out of the archive or a member
// larger than maxZipMember rejects the whole file.
func readFiderBackup(file string) (*fiderBackup, error) {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return nil, fmt.Errorf("not a readable zip file: %w", err)
	}
	defer zr.Close()
	members := map[string]*zip.File{}
	b := &fiderBackup{}
	for _, f := range zr.File {
		name := strings.ReplaceAll(f.Name, `\`, "/")
		if path.IsAbs(name) || slices.Contains(strings.Split(name, "/"), "..") {
			return nil, fmt.Errorf("unsafe path %q in the archive", f.Name)
		}
		if f.UncompressedSize64 > maxZipMember {
			return nil, fmt.Errorf("%s is %d bytes uncompressed, more than the limit of %d", f.Name, f.UncompressedSize64, maxZipMember)
		}
		switch {
		case strings.HasPrefix(name, "blobs/") && !strings.HasSuffix(name, "/"):
			b.Blobs++
		case !strings.Contains(name, "/"):
			members[name] = f
		}
	}
	tables := []struct {
		name     string
		into     any
		required bool
	}{
		{"users.json", &b.Users, true},
		{"posts.json", &b.Posts, true},
		{"user_providers.json", &b.UserProviders, false},
		{"tags.json", &b.Tags, false},
		{"post_tags.json", &b.PostTags, false},
		{"post_votes.json", &b.Votes, false},
		{"comments.json", &b.Comments, false},
	}
	for _, t := range tables {
		f, ok := members[t.name]
		if !ok {
			if t.required {
				return nil, fmt.Errorf("%s is missing: this is not a Fider backup", t.name)
			}
			continue
		}
		if err := readZipJSON(f, t.into); err != nil {
			return nil, fmt.Errorf("%s: %w", t.name, err)
		}
	}
	return b, nil
}

// readZipJSON decodes one member, reading no more than maxZipMember bytes
// whatever its header claims.
func readZipJSON(f *zip.File, into any) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, maxZipMember+1))
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if len(raw) > maxZipMember {
		return fmt.Errorf("more than %d bytes uncompressed", maxZipMember)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(into); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return errors.New("the JSON ends too early (is the file truncated?)")
		}
		return fmt.Errorf("not valid JSON: %w", err)
	}
	return nil
}

// flexString reads a JSON string, number or null: Fider's export turns any
// text that looks like a number (a title "2024", say) into a number.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*s = ""
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		*s = flexString(b)
	default:
		return fmt.Errorf("want text or a number, got %s", clipBytes(b))
	}
	return nil
}

// flexInt reads a JSON number, a string of digits or null (as 0).
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	if s == "" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(string(s), 10, 64)
	if err != nil {
		return fmt.Errorf("want a whole number, got %s", clipBytes(b))
	}
	*n = flexInt(v)
	return nil
}

// flexTime reads a timestamp as Go or PostgreSQL writes it, or null.
type flexTime struct{ *time.Time }

func (t *flexTime) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	if s == "" {
		t.Time = nil
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999"} {
		if v, err := time.Parse(layout, string(s)); err == nil {
			v = v.UTC()
			t.Time = &v
			return nil
		}
	}
	return fmt.Errorf("want a date and time, got %s", clipBytes(b))
}

// or returns the time, or def when there is none.
func (t flexTime) or(def time.Time) time.Time {
	if t.Time == nil {
		return def
	}
	return *t.Time
}

func clipBytes(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}
