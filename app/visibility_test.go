package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// Marker words in the titles (and so the slugs) of the ideas a visibility
// test builds: every surface is searched for them, case-insensitively, so
// an idea counts as shown whether its title, its link or its slug appears.
const (
	markPublic  = "xylopublic"
	markPrivate = "xyloprivate"
	markHidden  = "xylohidden"
)

// visibilityWorld is a portal with a public control idea beside ideas on a
// private board and hidden ideas: one of each on the roadmap (planned), one
// shipped (done) and one open, with votes, comments and followers. The
// member posted and voted for those on the roadmap and shipped before the
// board went private or the idea was hidden, and never touched the open
// ones, so that any write that gets through changes something.
type visibilityWorld struct {
	staff, member                    *models.User
	pub, pubDone, priv, privDone     *models.Idea
	privOpen, hidden, hiddenDone     *models.Idea
	hiddenOpen                       *models.Idea
	privateBoard                     string
	members, visitors, staffs, users []*client
}

func newVisibilityWorld(t *testing.T, ta *testApp) *visibilityWorld {
	t.Helper()
	ctx, db := context.Background(), ta.db
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	root := dbtest.User(t, db, "Root", "root@example.com", models.RoleAdmin)
	w := &visibilityWorld{
		staff:        dbtest.User(t, db, "Sam Staff", "sam@example.com", models.RoleStaff),
		member:       dbtest.User(t, db, "Ann", "ann@example.com", models.RoleMember),
		privateBoard: "beta-program",
	}
	bob := dbtest.User(t, db, "Bob", "bob@example.com", models.RoleMember)
	beta, err := models.CreateBoard(ctx, db, models.BoardInput{Name: "Beta program", Slug: w.privateBoard}, root)
	must(err)
	// The member posts, votes for and so follows the ideas on the roadmap;
	// Bob posts the open ones, which the member has not touched.
	idea := func(board, title, status string) *models.Idea {
		t.Helper()
		author, voter := w.member, bob
		if status == "open" {
			author, voter = bob, w.staff
		}
		i, err := models.CreateIdea(ctx, db, models.NewIdea{Author: author, Board: board, Title: title, Body: "Quokka " + title})
		must(err)
		_, err = models.VoteFor(ctx, db, i.ID, voter.ID)
		must(err)
		if status != "open" {
			_, err = models.VoteFor(ctx, db, i.ID, w.member.ID)
			must(err)
		}
		_, err = models.CreateComment(ctx, db, models.NewComment{IdeaID: i.ID, Author: voter, Body: "Quokka comment on " + title})
		must(err)
		_, err = models.ChangeStatus(ctx, db, i.ID, w.staff, status, "Quokka response to "+title)
		must(err)
		return i
	}
	w.pub = idea("feature-requests", "Quokka Xylopublic roadmap", "planned")
	w.pubDone = idea("feature-requests", "Quokka Xylopublic shipped", "done")
	w.priv = idea(w.privateBoard, "Quokka Xyloprivate roadmap", "planned")
	w.privDone = idea(w.privateBoard, "Quokka Xyloprivate shipped", "done")
	w.privOpen = idea(w.privateBoard, "Quokka Xyloprivate open", "open")
	w.hidden = idea("feature-requests", "Quokka Xylohidden roadmap", "planned")
	w.hiddenDone = idea("feature-requests", "Quokka Xylohidden shipped", "done")
	w.hiddenOpen = idea("feature-requests", "Quokka Xylohidden open", "open")
	_, err = models.UpdateBoard(ctx, db, beta.ID, models.BoardInput{Name: "Beta program", Slug: w.privateBoard, IsPrivate: true}, root)
	must(err)
	for _, i := range []*models.Idea{w.hidden, w.hiddenDone, w.hiddenOpen} {
		must(models.HideIdea(ctx, db, i.ID, w.staff, true))
	}

	visitor, member, staff := ta.client(), ta.client(), ta.client()
	member.signInAs(w.member)
	staff.signInAs(w.staff)
	w.visitors, w.members, w.staffs = []*client{visitor}, []*client{member}, []*client{staff}
	w.users = []*client{visitor, member, staff}
	return w
}

// unseen lists the ideas members may not see.
func (w *visibilityWorld) unseen() []*models.Idea {
	return []*models.Idea{w.priv, w.privDone, w.privOpen, w.hidden, w.hiddenDone, w.hiddenOpen}
}

// viewerName names the client by who it is signed in as.
func (w *visibilityWorld) viewerName(c *client) string {
	switch c {
	case w.members[0]:
		return "member"
	case w.staffs[0]:
		return "staff"
	}
	return "visitor"
}

// surface is one page, fragment or document, and what each viewer must get.
type surface struct {
	path, accept string
	code         int  // status for visitors and members (200 when 0)
	staffCode    int  // status for staff (code when 0)
	public       bool // the public control ideas appear (when 200)
	staffPrivate bool // staff see the private board's ideas here
}

func (w *visibilityWorld) surfaces() []surface {
	var s []surface
	for _, sort := range models.Sorts {
		s = append(s,
			surface{path: "/?sort=" + sort, public: true, staffPrivate: true},
			surface{path: "/?q=quokka&sort=" + sort, public: true, staffPrivate: true},
			surface{path: "/?status=planned&sort=" + sort, public: true, staffPrivate: true},
			surface{path: "/?board=feature-requests&sort=" + sort, public: true},
			surface{path: "/?board=" + w.privateBoard + "&sort=" + sort, code: 404, staffCode: 200, staffPrivate: true},
		)
	}
	s = append(s,
		surface{path: "/", public: true, staffPrivate: true},
		surface{path: "/?q=quokka", public: true, staffPrivate: true},
		surface{path: "/?q=quokka&board=feature-requests&status=done", public: true},
		surface{path: "/?status=done", public: true, staffPrivate: true},
		surface{path: "/ideas/similar?q=quokka", public: true, staffPrivate: true},
		surface{path: "/ideas/similar?q=quokka", accept: "text/html", public: true, staffPrivate: true},
		surface{path: "/sitemap.xml", public: true},
		surface{path: "/roadmap", public: true, staffPrivate: true},
		surface{path: "/changelog", public: true, staffPrivate: true},
		surface{path: ideaPath(w.pub.ID, w.pub.Slug), public: true},
		surface{path: ideaPath(w.pubDone.ID, w.pubDone.Slug), public: true},
		surface{path: "/feeds/ideas.rss?board=" + w.privateBoard, code: 404},
		surface{path: "/feeds/ideas.atom?status=planned", public: true},
	)
	for _, ext := range []string{"rss", "atom", "json"} {
		s = append(s,
			surface{path: "/feeds/roadmap." + ext, public: true},
			surface{path: "/feeds/ideas." + ext, public: true},
			surface{path: "/feeds/changelog." + ext, public: true},
			surface{path: "/boards/feature-requests/feed." + ext, public: true},
			surface{path: "/boards/" + w.privateBoard + "/feed." + ext, code: 404},
			surface{path: fmt.Sprintf("/ideas/%d/feed.%s", w.pub.ID, ext), public: true},
			surface{path: fmt.Sprintf("/ideas/%d/feed.%s", w.pubDone.ID, ext), public: true},
		)
		for _, i := range w.unseen() {
			s = append(s, surface{path: fmt.Sprintf("/ideas/%d/feed.%s", i.ID, ext), code: 404})
		}
	}
	return s
}

// Every list, search, feed and page, asked by a visitor, a member and
// staff: private and hidden ideas are absent (or the answer is 404) for
// those who may not see them, exactly; staff see the private board's ideas
// where lists show them, and nobody sees hidden ones in lists or feeds. The
// public control ideas are present everywhere they belong, so an empty
// answer fails too.
func TestVisibilityMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		w := newVisibilityWorld(t, ta)
		for _, s := range w.surfaces() {
			for _, c := range w.users {
				who := w.viewerName(c)
				want, staff := s.code, who == "staff"
				if want == 0 {
					want = http.StatusOK
				}
				if staff && s.staffCode != 0 {
					want = s.staffCode
				}
				var headers []string
				if s.accept != "" {
					headers = []string{"Accept", s.accept}
				}
				resp := c.get(s.path, headers...)
				page := strings.ToLower(body(t, resp))
				if resp.StatusCode != want {
					t.Errorf("%s GET %s: status %d, want %d", who, s.path, resp.StatusCode, want)
					continue
				}
				ok := want == http.StatusOK
				for mark, shown := range map[string]bool{
					markPublic:  ok && s.public,
					markPrivate: ok && staff && s.staffPrivate,
					markHidden:  false,
				} {
					if got := strings.Contains(page, mark); got != shown {
						t.Errorf("%s GET %s: shows %s = %v, want %v", who, s.path, mark, got, shown)
					}
				}
			}
		}

		// The pages of private and hidden ideas: 404 to visitors and
		// members, under every address; staff read them.
		for _, i := range w.unseen() {
			for _, p := range []string{ideaPath(i.ID, i.Slug), fmt.Sprintf("/ideas/%d", i.ID), fmt.Sprintf("/ideas/%d/other-slug", i.ID)} {
				for _, c := range w.users {
					who := w.viewerName(c)
					resp := c.get(p)
					page := strings.ToLower(body(t, resp))
					// The sign-in link carries the address asked for back.
					page = strings.ReplaceAll(page, strings.ToLower(url.QueryEscape(p)), "")
					switch {
					case who != "staff" && resp.StatusCode != http.StatusNotFound:
						t.Errorf("%s GET %s: status %d, want 404", who, p, resp.StatusCode)
					case who != "staff" && (strings.Contains(page, markPrivate) || strings.Contains(page, markHidden)):
						t.Errorf("%s GET %s: the 404 names the idea", who, p)
					case who == "staff" && p == ideaPath(i.ID, i.Slug) && (resp.StatusCode != http.StatusOK || !strings.Contains(page, strings.ToLower(i.Title))):
						t.Errorf("staff GET %s: status %d, or the idea is missing", p, resp.StatusCode)
					}
				}
			}
		}
	})
}

// writeState is everything a write on an idea could store, as text: the
// ideas and their counters, and the user's comments, votes and follows.
func writeState(t *testing.T, db *models.DB, user *models.User) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(dbState(t, db))
	for _, q := range []string{
		"SELECT count(*) FROM comments WHERE author_id = ?",
		"SELECT count(*) FROM votes WHERE user_id = ?",
		"SELECT count(*) FROM subscriptions WHERE user_id = ?",
	} {
		fmt.Fprintf(&b, "%s: %d\n", q, dbtest.Count(t, db, q, user.ID))
	}
	fmt.Fprintf(&b, "comments counted: %d\n", dbtest.Count(t, db, "SELECT coalesce(sum(comments_count), 0) FROM ideas"))
	return b.String()
}

// Every write a member can make, on each private or hidden idea, by form
// and by script: 404, as if the idea did not exist, and nothing stored or
// removed (the member's own earlier vote and follow stay as they were).
func TestMembersCannotWriteToIdeasTheyCannotSee(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		w := newVisibilityWorld(t, ta)
		before := writeState(t, db, w.member)
		for _, i := range w.unseen() {
			for _, action := range []struct {
				path string
				form url.Values
			}{
				{"vote", nil},
				{"unvote", nil},
				{"comments", url.Values{"body": {"Let me in."}}},
				{"subscribe", nil},
				{"unsubscribe", nil},
			} {
				path := fmt.Sprintf("/ideas/%d/%s", i.ID, action.path)
				for _, accept := range []string{"text/html", "application/json"} {
					form := url.Values{}
					for k, v := range action.form {
						form[k] = v
					}
					resp := w.members[0].post(path, form, "Accept", accept)
					page := strings.ToLower(body(t, resp))
					if resp.StatusCode != http.StatusNotFound {
						t.Errorf("member POST %s (%s): status %d, want 404", path, accept, resp.StatusCode)
					}
					if strings.Contains(page, markPrivate) || strings.Contains(page, markHidden) {
						t.Errorf("member POST %s (%s): the answer names the idea", path, accept)
					}
				}
			}
		}
		if after := writeState(t, db, w.member); after != before {
			t.Errorf("refused writes changed the database:\nbefore\n%s\nafter\n%s", before, after)
		}
		// The same writes on the public control go through, so the refusals
		// above are about visibility.
		path := fmt.Sprintf("/ideas/%d/", w.pub.ID)
		wantStatus(t, w.members[0].post(path+"unsubscribe", nil), http.StatusSeeOther)
		wantStatus(t, w.members[0].post(path+"comments", url.Values{"body": {"Me too."}}), http.StatusSeeOther)
		if after := writeState(t, db, w.member); after == before {
			t.Error("writes on the public idea changed nothing")
		}
	})
}
