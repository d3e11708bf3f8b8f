package app

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// Signed-in people bypass the page cache, so the roadmap keeps its cards'
// HTML instead; a card is never stale, whatever changed it and however.
func TestRoadmapCardsAreCachedAndNeverStale(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		cast := dbtest.People(t, db)
		idea := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: cast.Ann, Title: "Offline mode", Status: "planned"})
		ctx := context.Background()
		setResponse := func(html string) {
			t.Helper()
			// Straight to the table, as an import or another branch of
			// the code might: no updated_at, no responded_at.
			if _, err := db.Bun().NewUpdate().Table("ideas").Set("response_html = ?", html).Where("id = ?", idea.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		setResponse("<p>We are <strong>on it</strong>.</p>")
		member := ta.client()
		member.signInAs(cast.Bob)
		cards := func() int {
			n := 0
			for _, k := range ta.rows.Keys() {
				if strings.HasPrefix(k, "card ") {
					n++
				}
			}
			return n
		}

		page := wantStatus(t, member.get("/roadmap"), http.StatusOK)
		if !strings.Contains(page, `<p class="excerpt">We are on it.</p>`) || !strings.Contains(page, "<span>0 votes</span>") {
			t.Fatalf("the card:\n%s", mainOf(t, page))
		}
		if n := cards(); n != 1 {
			t.Fatalf("%d cards cached, want 1", n)
		}
		if again := wantStatus(t, member.get("/roadmap"), http.StatusOK); mainOf(t, again) != mainOf(t, page) {
			t.Fatalf("the cached card differs from the rendered one")
		}
		if n := cards(); n != 1 {
			t.Fatalf("%d cards cached after a second view, want 1", n)
		}

		setResponse("<p>Shipping in <em>May</em>.</p>")
		if page := wantStatus(t, member.get("/roadmap"), http.StatusOK); !strings.Contains(page, `<p class="excerpt">Shipping in May.</p>`) {
			t.Fatalf("a changed response does not show:\n%s", mainOf(t, page))
		}
		dbtest.Vote(t, db, idea, cast.Ann, db.Now())
		if page := wantStatus(t, member.get("/roadmap"), http.StatusOK); !strings.Contains(page, "<span>1 vote</span>") {
			t.Fatalf("a vote does not show:\n%s", mainOf(t, page))
		}
		if _, err := db.Bun().NewUpdate().Table("ideas").Set("title = ?", "Offline mode, at last").Where("id = ?", idea.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if page := wantStatus(t, member.get("/roadmap"), http.StatusOK); !strings.Contains(page, ">Offline mode, at last</a>") {
			t.Fatalf("a new title does not show:\n%s", mainOf(t, page))
		}
		if n := cards(); n != 4 {
			t.Fatalf("%d cards cached, want 4 (one per version of the card)", n)
		}
	})
}

// The columns everyone but staff sees are rendered once per data version,
// and so are the staff's (private boards and controls too, with each
// viewer's own CSRF token written in); neither is served to the other.
func TestRoadmapBoardIsSharedOnlyByThoseWhoSeeTheSame(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		cast := dbtest.People(t, db)
		dbtest.Idea(t, db, dbtest.IdeaSpec{Author: cast.Ann, Title: "Public plan", Status: "planned"})
		dbtest.Idea(t, db, dbtest.IdeaSpec{Author: cast.Staff, Title: "Secret plan", Status: "planned", Board: dbtest.Board(t, db, "internal", true)})
		staff, member, other := ta.client(), ta.client(), ta.client()
		staff.signInAs(cast.Staff)
		member.signInAs(cast.Ann)
		other.signInAs(cast.Bob)
		boards := func() int {
			n := 0
			for _, kept := range []*roadmapBoardCache{&ta.roadmap.members, &ta.roadmap.staff} {
				if kept.latest.Load() != nil {
					n++
				}
			}
			return n
		}

		page := wantStatus(t, staff.get("/roadmap"), http.StatusOK)
		if !strings.Contains(page, ">Secret plan</a>") || !strings.Contains(page, `action="/roadmap/move"`) {
			t.Fatalf("staff do not see the private card or the controls")
		}
		if n := boards(); n != 1 || ta.roadmap.staff.latest.Load() == nil {
			t.Fatalf("%d roadmaps kept, want the staff's", n)
		}
		// Another staff member gets the kept columns with their own token.
		admin := ta.client()
		admin.signInAs(cast.Admin)
		again := wantStatus(t, admin.get("/roadmap"), http.StatusOK)
		mine, theirs := csrfInput.FindAllStringSubmatch(page, -1), csrfInput.FindAllStringSubmatch(again, -1)
		// Two cards of three forms each, and signing out.
		if len(mine) != 7 || len(theirs) != 7 || mine[6][1] == theirs[6][1] || strings.Contains(again, mine[6][1]) || strings.Contains(again, formMark) {
			t.Fatalf("the kept staff roadmap does not carry each viewer's token: %d and %d forms", len(mine), len(theirs))
		}
		for _, c := range []*client{member, other} {
			page := wantStatus(t, c.get("/roadmap"), http.StatusOK)
			if strings.Contains(page, "Secret plan") || strings.Contains(page, `action="/roadmap/move"`) || !strings.Contains(page, ">Public plan</a>") {
				t.Fatalf("a member's roadmap:\n%s", mainOf(t, page))
			}
		}
		if n := boards(); n != 2 {
			t.Fatalf("%d roadmaps kept for staff and two members, want 2", n)
		}
		if page := wantStatus(t, staff.get("/roadmap"), http.StatusOK); !strings.Contains(page, ">Secret plan</a>") {
			t.Fatalf("after members, staff got the members' roadmap")
		}

		// A vote is a new data version: the next member sees it.
		voter := ta.client()
		voter.signInAs(cast.Bob)
		plan := dbtest.Count(t, db, "SELECT id FROM ideas WHERE title = 'Public plan'")
		wantStatus(t, voter.post("/ideas/"+strconv.Itoa(plan)+"/vote", nil, "Accept", "application/json"), http.StatusOK)
		if page := wantStatus(t, member.get("/roadmap"), http.StatusOK); !strings.Contains(page, "<span>1 vote</span>") {
			t.Fatalf("the vote does not show on the roadmap:\n%s", mainOf(t, page))
		}
	})
}

// Triage rows carry the viewer's CSRF token: a kept row is served again
// only to the same session, and only while nothing it shows has changed.
func TestTriageRowsAreKeptPerSessionAndNeverStale(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		cast := dbtest.People(t, db)
		idea := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: cast.Ann, Title: "Bulk edit"})
		sam, ada := ta.client(), ta.client()
		sam.signInAs(cast.Staff)
		ada.signInAs(cast.Admin)
		token := func(page string) string {
			m := csrfInput.FindAllStringSubmatch(page, -1)
			if len(m) == 0 {
				t.Fatalf("no CSRF token on the page")
			}
			return m[len(m)-1][1]
		}
		first := wantStatus(t, sam.get("/triage"), http.StatusOK)
		if again := wantStatus(t, sam.get("/triage"), http.StatusOK); mainOf(t, again) != mainOf(t, first) {
			t.Fatalf("the kept row differs from the rendered one")
		}
		other := wantStatus(t, ada.get("/triage"), http.StatusOK)
		if token(other) == token(first) || strings.Contains(other, token(first)) {
			t.Fatalf("one staff member's row, with its token, was served to another")
		}
		// A kept row takes each view's way back, and no marker is left.
		sorted := wantStatus(t, sam.get("/triage?sort=revenue&board="), http.StatusOK)
		if n := strings.Count(sorted, `name="next" value="/triage?sort=revenue"`); n != 4 {
			t.Errorf("%d forms lead back to the sorted view, want 4", n)
		}
		for _, page := range []string{first, other, sorted} {
			if strings.Contains(page, formMark) {
				t.Fatalf("a row marker reached the page")
			}
		}
		dbtest.Vote(t, db, idea, cast.Bob, db.Now())
		if page := wantStatus(t, sam.get("/triage"), http.StatusOK); !strings.Contains(page, "+1 in 4 weeks") || !strings.Contains(page, "<strong>1</strong>") {
			t.Fatalf("a vote does not show in triage:\n%s", mainOf(t, page))
		}
	})
}
