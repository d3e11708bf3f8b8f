package cli

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cluetrain/cluetrain/models"
)

// fiderStatus maps Fider's post status, as its backup stores it, to a
// Cluetrain status slug.
func fiderStatus(n flexInt) (string, bool) {
	switch n {
	case 0:
		return "open", true
	case 1: // started
		return "in_progress", true
	case 2: // completed
		return "done", true
	case 3:
		return "declined", true
	case 4:
		return "planned", true
	case fiderDuplicate:
		return "duplicate", true
	case fiderDeleted: // imported hidden, see fiderSet
		return "declined", true
	}
	return "", false
}

const (
	fiderDeleted        = 6
	fiderDuplicate      = 5
	fiderUserDeleted    = 2
	fiderUserBlocked    = 3
	fiderRoleCollab     = 2
	fiderIdentityPrefix = "fider:"
)

var (
	// fiderMention is how Fider stores an @-mention: @[Name].
	fiderMention = regexp.MustCompile(`@\[([^\]\n]*)\]`)
	// fiderImage is an image Fider stored with the post: ![alt](fider-image:KEY).
	fiderImage = regexp.MustCompile(`!\[([^\]\n]*)\]\(fider-image:([^)\s]*)\)`)
)

// fiderNotes is what the report says was left out or changed, and why.
type fiderNotes struct {
	privateTags, images, staff         int
	orphanVotes, orphanComments, blobs int
	duplicateVotes, extraTagsMentioned int
}

func (n *fiderNotes) lines() []string {
	var out []string
	add := func(count int, format string) {
		if count > 0 {
			out = append(out, fmt.Sprintf(format, count))
		}
	}
	add(n.privateTags, "%d private tag(s) not carried over: Cluetrain has no labels, and a private board would hide public posts")
	add(n.extraTagsMentioned, "%d post(s) had more than one public tag: each went to its first tag's board, the others are named at the end of its description")
	add(n.blobs, "%d uploaded file(s) under blobs/ not copied: Cluetrain shows no images in posts")
	add(n.images, "%d image link(s) became an \"(image: NAME)\" note")
	add(n.orphanVotes, "%d vote(s) skipped: their post or person is not in the backup")
	add(n.duplicateVotes, "%d vote(s) skipped: the same person's second vote for the same post")
	add(n.orphanComments, "%d comment(s) skipped: their post or author is not in the backup")
	add(n.staff, "%d Fider administrator(s) and collaborator(s) imported as members: give them roles with 'cluetrain users set-role EMAIL ROLE' once they have signed in")
	return out
}

// fiderText turns Fider's markdown into Cluetrain's: mentions become plain
// text, and stored images a note with their name.
func fiderText(s string, notes *fiderNotes) string {
	s = fiderMention.ReplaceAllString(s, "@$1")
	return fiderImage.ReplaceAllStringFunc(s, func(m string) string {
		notes.images++
		sub := fiderImage.FindStringSubmatch(m)
		name := strings.TrimSpace(sub[1])
		if name == "" {
			name = path.Base(sub[2])
		}
		return "(image: " + name + ")"
	})
}

// fiderSet maps a backup onto an import. Public tags become boards and a
// post lands on the board of its first public tag (by tag id), or on the
// first board when it has none. Deleted and unapproved posts are imported
// hidden (staff still see them), so their votes and comments are kept.
func fiderSet(b *fiderBackup, now time.Time) (*models.ImportSet, *fiderNotes, error) {
	notes := &fiderNotes{blobs: b.Blobs}
	set := &models.ImportSet{Source: "fider"}

	users := map[flexString]*fiderUser{}
	for i := range b.Users {
		users[b.Users[i].ID] = &b.Users[i]
	}
	providers := map[flexString][]fiderUserProvider{}
	for _, p := range b.UserProviders {
		providers[p.UserID] = append(providers[p.UserID], p)
	}
	externalIDs := map[string]bool{}
	for _, u := range b.Users {
		p := models.ImportPerson{Key: string(u.ID), Name: string(u.Name), Email: strings.ToLower(strings.TrimSpace(string(u.Email))),
			Blocked: u.Status == fiderUserBlocked, CreatedAt: u.CreatedAt.or(now)}
		if u.Status == fiderUserDeleted {
			p.Name, p.Email = "Deleted user", ""
		}
		for _, up := range providers[u.ID] {
			p.Identities = append(p.Identities, models.ImportIdentity{Provider: fiderIdentityPrefix + string(up.Provider), Subject: string(up.ProviderUID)})
			// Fider names the company's own sign-in (custom OAuth) with a
			// leading underscore; its subject is the person's id there.
			if x := string(up.ProviderUID); strings.HasPrefix(string(up.Provider), "_") && p.ExternalID == "" && x != "" && !externalIDs[x] {
				p.ExternalID = x
				externalIDs[x] = true
			}
		}
		if u.Role >= fiderRoleCollab {
			notes.staff++
		}
		set.People = append(set.People, p)
	}

	tags := map[flexString]*fiderTag{}
	for i, t := range b.Tags {
		tags[t.ID] = &b.Tags[i]
		if !t.IsPublic {
			notes.privateTags++
			continue
		}
		set.Boards = append(set.Boards, models.ImportBoard{Key: string(t.ID), Slug: string(t.Slug), Name: string(t.Name)})
	}
	postTags := map[flexString][]*fiderTag{}
	for _, pt := range b.PostTags {
		if t, ok := tags[pt.TagID]; ok && t.IsPublic {
			postTags[pt.PostID] = append(postTags[pt.PostID], t)
		}
	}

	posts := map[flexString]bool{}
	for _, p := range b.Posts {
		posts[p.ID] = true
	}
	for _, p := range b.Posts {
		idea, err := fiderIdea(p, users, postTags[p.ID], posts, notes, now)
		if err != nil {
			return nil, nil, err
		}
		set.Ideas = append(set.Ideas, idea)
	}

	voted := map[[2]flexString]bool{}
	for _, v := range b.Votes {
		if !posts[v.PostID] || users[v.UserID] == nil {
			notes.orphanVotes++
			continue
		}
		if voted[[2]flexString{v.PostID, v.UserID}] {
			notes.duplicateVotes++
			continue
		}
		voted[[2]flexString{v.PostID, v.UserID}] = true
		set.Votes = append(set.Votes, models.ImportVote{IdeaKey: string(v.PostID), PersonKey: string(v.UserID), CreatedAt: v.CreatedAt.or(now)})
	}
	for _, c := range b.Comments {
		author := users[c.UserID]
		if !posts[c.PostID] || author == nil {
			notes.orphanComments++
			continue
		}
		created := c.CreatedAt.or(now)
		set.Comments = append(set.Comments, models.ImportComment{
			Key: string(c.ID), IdeaKey: string(c.PostID), AuthorKey: string(c.UserID),
			Body:      fiderText(string(c.Content), notes),
			IsStaff:   author.Role >= fiderRoleCollab,
			Hidden:    c.DeletedAt.Time != nil || (c.IsApproved != nil && !*c.IsApproved),
			CreatedAt: created, UpdatedAt: c.EditedAt.or(created),
		})
	}
	return set, notes, nil
}

// fiderIdea maps one post. A post whose author is missing or whose status
// is unknown makes the backup unreadable: guessing would misstate it.
func fiderIdea(p fiderPost, users map[flexString]*fiderUser, tags []*fiderTag, posts map[flexString]bool, notes *fiderNotes, now time.Time) (models.ImportIdea, error) {
	status, ok := fiderStatus(p.Status)
	if !ok {
		return models.ImportIdea{}, fmt.Errorf("posts.json: post %s has an unknown status %d", p.ID, p.Status)
	}
	if users[p.UserID] == nil {
		return models.ImportIdea{}, fmt.Errorf("posts.json: the author (user %s) of post %s is not in users.json", p.UserID, p.ID)
	}
	title := strings.TrimSpace(string(p.Title))
	if title == "" {
		title = "Post #" + strconv.FormatInt(int64(p.Number), 10)
	}
	idea := models.ImportIdea{
		Key: string(p.ID), AuthorKey: string(p.UserID), Title: title, Status: status,
		Body:        fiderText(string(p.Description), notes),
		Hidden:      p.Status == fiderDeleted || (p.IsApproved != nil && !*p.IsApproved),
		Response:    fiderText(string(p.Response), notes),
		RespondedAt: p.ResponseDate.Time,
		CreatedAt:   p.CreatedAt.or(now),
	}
	if users[p.ResponseUserID] != nil {
		idea.ResponseAuthorKey = string(p.ResponseUserID)
	}
	if p.Status == fiderDuplicate && posts[p.OriginalID] {
		idea.DuplicateOf = string(p.OriginalID)
	}
	slices.SortFunc(tags, func(a, b *fiderTag) int { return compareIDs(string(a.ID), string(b.ID)) })
	if len(tags) > 0 {
		idea.BoardKey = string(tags[0].ID)
	}
	if len(tags) > 1 {
		names := make([]string, len(tags))
		for i, t := range tags {
			names[i] = string(t.Name)
		}
		idea.Body = strings.TrimSpace(idea.Body + "\n\nFider tags: " + strings.Join(names, ", "))
		notes.extraTagsMentioned++
	}
	return idea, nil
}

// compareIDs orders numeric ids as numbers, anything else as text.
func compareIDs(a, b string) int {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	if errA == nil && errB == nil {
		return int(min(max(x-y, -1), 1))
	}
	return strings.Compare(a, b)
}
