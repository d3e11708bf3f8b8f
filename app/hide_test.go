package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// Staff hide an idea over HTTP and it is gone for visitors and members from
// its page (404), every list, search, suggestions, the roadmap, the sitemap
// and every feed, while staff still read it; unhiding brings it back
// everywhere. A public control idea stays throughout, so the checks can
// tell "gone" from "broken".
func TestStaffHideAndUnhideOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		ta := newTestApp(t, db)
		sam := dbtest.User(t, db, "Sam Staff", "sam@example.com", models.RoleStaff)
		ann := dbtest.User(t, db, "Ann", "ann@example.com", models.RoleMember)
		idea := func(title string) *models.Idea {
			t.Helper()
			i, err := models.CreateIdea(ctx, db, models.NewIdea{Author: ann, Board: "feature-requests", Title: title, Body: "Quokka " + title})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := models.ChangeStatus(ctx, db, i.ID, sam, "planned", "Quokka response to "+title); err != nil {
				t.Fatal(err)
			}
			return i
		}
		idea("Quokka Xylopublic control")
		spam := idea("Quokka Xylohidden pills")
		page := ideaPath(spam.ID, spam.Slug)
		staff, visitor, member := ta.client(), ta.client(), ta.client()
		staff.signInAs(sam)
		member.signInAs(ann)

		surfaces := []string{"/", "/?sort=new", "/?sort=top", "/?q=quokka", "/?status=planned", "/?board=feature-requests",
			"/ideas/similar?q=quokka", "/roadmap", "/sitemap.xml", "/boards/feature-requests/feed.atom"}
		for _, f := range []string{"roadmap", "ideas"} {
			for _, ext := range []string{"rss", "atom", "json"} {
				surfaces = append(surfaces, "/feeds/"+f+"."+ext)
			}
		}
		// everywhere checks that the idea is shown, or not, on every
		// surface and on its own page, beside the control.
		everywhere := func(when string, shown bool) {
			t.Helper()
			for _, c := range []*client{visitor, member} {
				who := "visitor"
				if c == member {
					who = "member"
				}
				for _, p := range surfaces {
					b := strings.ToLower(wantStatus(t, c.get(p), http.StatusOK))
					if !strings.Contains(b, markPublic) {
						t.Errorf("%s, %s GET %s: the control idea is missing", when, who, p)
					}
					if got := strings.Contains(b, markHidden); got != shown {
						t.Errorf("%s, %s GET %s: shows the idea = %v, want %v", when, who, p, got, shown)
					}
				}
				want := http.StatusOK
				if !shown {
					want = http.StatusNotFound
				}
				for _, p := range []string{page, fmt.Sprintf("/ideas/%d/feed.atom", spam.ID)} {
					if resp := c.get(p); resp.StatusCode != want {
						t.Errorf("%s, %s GET %s: status %d, want %d", when, who, p, resp.StatusCode, want)
					}
				}
			}
			// Staff read the idea all along, with the button that undoes
			// what was done last.
			b := wantStatus(t, staff.get(page), http.StatusOK)
			action, button := "hide", "Hide as spam"
			if !shown {
				action, button = "unhide", "Show this idea again"
			}
			if !strings.Contains(b, fmt.Sprintf(`action="/ideas/%d/%s"`, spam.ID, action)) || !strings.Contains(b, button) {
				t.Errorf("%s: the staff panel does not offer %q", when, button)
			}
		}
		hidden := func() bool {
			return dbtest.Count(t, db, "SELECT count(*) FROM ideas WHERE id = ? AND hidden_at IS NOT NULL", spam.ID) == 1
		}

		everywhere("before hiding", true)
		resp := staff.post(fmt.Sprintf("/ideas/%d/hide", spam.ID), nil)
		wantStatus(t, resp, http.StatusSeeOther)
		if !hidden() {
			t.Fatal("POST hide did not hide the idea")
		}
		everywhere("hidden", false)
		// Hiding again changes nothing; a member may not unhide.
		wantStatus(t, staff.post(fmt.Sprintf("/ideas/%d/hide", spam.ID), nil), http.StatusSeeOther)
		wantStatus(t, member.post(fmt.Sprintf("/ideas/%d/unhide", spam.ID), nil), http.StatusForbidden)
		if !hidden() {
			t.Fatal("the idea came back without staff unhiding it")
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE idea_id = ? AND kind = ?", spam.ID, models.EventIdeaHidden); n != 1 {
			t.Errorf("%d hide events, want 1", n)
		}

		wantStatus(t, staff.post(fmt.Sprintf("/ideas/%d/unhide", spam.ID), nil), http.StatusSeeOther)
		if hidden() {
			t.Fatal("POST unhide left the idea hidden")
		}
		everywhere("shown again", true)
	})
}
