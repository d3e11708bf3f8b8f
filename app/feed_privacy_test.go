package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// feedCopy is a reader's copy of a feed: its validators and the document.
type feedCopy struct {
	etag, modified, body string
}

func fetchFeed(t *testing.T, c *client, path string) feedCopy {
	t.Helper()
	resp := c.get(path)
	b := wantStatus(t, resp, http.StatusOK)
	return feedCopy{etag: resp.Header.Get("ETag"), modified: resp.Header.Get("Last-Modified"), body: b}
}

// Every feed's version (ETag, Last-Modified, and the document's own updated
// time) comes from what the public may see: activity on a private board, on
// a hidden idea or on a private board's settings leaves every public feed
// exactly as it was, while a public change, a board going public or
// private, and an idea hidden or shown again each give the feeds they touch
// a new version.
func TestFeedVersionsIgnorePrivateActivity(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		ta := newTestApp(t, db)
		root := dbtest.User(t, db, "Root", "root@example.com", models.RoleAdmin)
		sam := dbtest.User(t, db, "Sam Staff", "sam@example.com", models.RoleStaff)
		ann := dbtest.User(t, db, "Ann", "ann@example.com", models.RoleMember)
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		idea := func(author *models.User, board, title string) *models.Idea {
			t.Helper()
			i, err := models.CreateIdea(ctx, db, models.NewIdea{Author: author, Board: board, Title: title, Body: "About " + title})
			must(err)
			return i
		}
		status := func(i *models.Idea, slug, response string) {
			t.Helper()
			_, err := models.ChangeStatus(ctx, db, i.ID, sam, slug, response)
			must(err)
		}
		internal, err := models.CreateBoard(ctx, db, models.BoardInput{Name: "Internal", IsPrivate: true}, root)
		must(err)
		public := idea(ann, "feature-requests", "Quokka export")
		spam := idea(ann, "feature-requests", "Quokka pills")
		must(models.HideIdea(ctx, db, spam.ID, sam, true))
		secret := idea(sam, "internal", "Quokka acquisition")
		status(public, "planned", "Planned for spring.")
		status(public, "done", "Shipped in 2.4.")
		published := ta.clock.T

		paths := []string{"/boards/feature-requests/feed.atom", "/feeds/ideas.rss?board=feature-requests", "/feeds/ideas.atom?status=planned"}
		for _, f := range []string{"roadmap", "ideas", "changelog"} {
			for _, ext := range []string{"rss", "atom", "json"} {
				paths = append(paths, "/feeds/"+f+"."+ext)
			}
		}
		for _, ext := range []string{"rss", "atom", "json"} {
			paths = append(paths, fmt.Sprintf("/ideas/%d/feed.%s", public.ID, ext), "/boards/feature-requests/feed."+ext)
		}
		c := ta.client()
		copies := map[string]feedCopy{}
		for _, p := range paths {
			copies[p] = fetchFeed(t, c, p)
			if want := published.Format(http.TimeFormat); copies[p].modified != want {
				t.Errorf("%s: Last-Modified %q, want %q", p, copies[p].modified, want)
			}
		}
		if !strings.Contains(copies["/feeds/changelog.atom"].body, "Shipped: Quokka export") {
			t.Fatalf("the changelog lacks the public idea:\n%s", copies["/feeds/changelog.atom"].body)
		}

		// Staff work in private, an hour later.
		ta.clock.Advance(time.Hour)
		status(secret, "planned", "Secret plan.")
		status(secret, "done", "Secret launch.")
		_, err = models.CreateComment(ctx, db, models.NewComment{IdeaID: secret.ID, Author: sam, Body: "Board meets Tuesday."})
		must(err)
		idea(sam, "internal", "Quokka layoffs")
		status(spam, "planned", "Still spam.")
		_, err = models.UpdateBoard(ctx, db, internal.ID, models.BoardInput{Name: "Inner circle", Slug: internal.Slug, IsPrivate: true}, root)
		must(err)
		_, err = models.CreateBoard(ctx, db, models.BoardInput{Name: "Legal", IsPrivate: true}, root)
		must(err)

		for _, p := range paths {
			resp := c.get(p, "If-None-Match", copies[p].etag)
			if body(t, resp); resp.StatusCode != http.StatusNotModified {
				t.Errorf("%s: private activity made the reader's copy stale (status %d)", p, resp.StatusCode)
			}
			if resp.Header.Get("ETag") != copies[p].etag || resp.Header.Get("Last-Modified") != copies[p].modified {
				t.Errorf("%s: private activity moved the version to %s / %s", p, resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"))
			}
			if now := fetchFeed(t, c, p); now != copies[p] {
				t.Errorf("%s: private activity changed the document:\nbefore %s %s\n%s\nafter %s %s\n%s",
					p, copies[p].etag, copies[p].modified, excerptOf(copies[p].body), now.etag, now.modified, excerptOf(now.body))
			}
		}

		// What the public sees change, changes the feeds that show it.
		changed := func(why string, want map[string]string) {
			t.Helper()
			for p, text := range want {
				resp := c.get(p, "If-None-Match", copies[p].etag)
				b := wantStatus(t, resp, http.StatusOK)
				if resp.Header.Get("ETag") == copies[p].etag {
					t.Errorf("%s: %s kept its ETag", why, p)
				}
				if lm := resp.Header.Get("Last-Modified"); lm != ta.clock.T.Format(http.TimeFormat) {
					t.Errorf("%s: %s Last-Modified %q, want %q", why, p, lm, ta.clock.T.Format(http.TimeFormat))
				}
				if strings.HasPrefix(text, "!") == strings.Contains(b, strings.TrimPrefix(text, "!")) {
					t.Errorf("%s: %s, want %q:\n%s", why, p, text, excerptOf(b))
				}
				copies[p] = feedCopy{etag: resp.Header.Get("ETag"), modified: resp.Header.Get("Last-Modified"), body: b}
			}
		}
		ta.clock.Advance(time.Hour)
		_, err = models.CreateComment(ctx, db, models.NewComment{IdeaID: public.ID, Author: ann, Body: "Works great."})
		must(err)
		changed("a public comment", map[string]string{
			fmt.Sprintf("/ideas/%d/feed.atom", public.ID): "Works great.",
			"/boards/feature-requests/feed.atom":          "Works great.",
		})
		ta.clock.Advance(time.Hour)
		_, err = models.UpdateBoard(ctx, db, internal.ID, models.BoardInput{Name: "Inner circle", Slug: internal.Slug}, root)
		must(err)
		changed("the board made public", map[string]string{"/feeds/ideas.atom": "Quokka acquisition", "/feeds/changelog.rss": "Shipped: Quokka acquisition"})
		ta.clock.Advance(time.Hour)
		_, err = models.UpdateBoard(ctx, db, internal.ID, models.BoardInput{Name: "Inner circle", Slug: internal.Slug, IsPrivate: true}, root)
		must(err)
		changed("the board made private again", map[string]string{"/feeds/ideas.atom": "!Quokka acquisition", "/feeds/changelog.rss": "!Quokka acquisition"})
		ta.clock.Advance(time.Hour)
		must(models.HideIdea(ctx, db, spam.ID, sam, false))
		changed("the idea shown again", map[string]string{"/feeds/ideas.atom": "Quokka pills", "/boards/feature-requests/feed.atom": "Quokka pills"})
		ta.clock.Advance(time.Hour)
		must(models.HideIdea(ctx, db, spam.ID, sam, true))
		changed("the idea hidden", map[string]string{"/feeds/ideas.atom": "!Quokka pills", "/boards/feature-requests/feed.atom": "!Quokka pills"})
	})
}
