package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// The whole journey of issue 5: from the top of triage to planned with a
// public answer in two clicks, reordered on the roadmap, shipped, and seen
// by everyone on the roadmap and the changelog.
func TestTriageToRoadmapToChangelog(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		staff := dbtest.User(t, db, "Sam Staff", "sam@example.com", models.RoleStaff)
		ann := dbtest.User(t, db, "Ann", "ann@example.com", models.RoleMember)
		bob := dbtest.User(t, db, "Bob", "bob@example.com", models.RoleMember)
		top := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: ann, Title: "Dark mode", Status: "open"})
		dbtest.Idea(t, db, dbtest.IdeaSpec{Author: ann, Title: "CSV export", Status: "planned"})
		for _, u := range []*models.User{ann, bob} {
			dbtest.Vote(t, db, top, u, ta.clock.T.Add(-time.Hour))
		}
		sc := ta.client()
		sc.signInAs(staff)

		page := wantStatus(t, sc.get("/triage"), http.StatusOK)
		first := strings.Index(page, `action="/ideas/`+strconv.FormatInt(top.ID, 10)+`/status"`)
		if first < 0 || strings.Contains(page, ">CSV export<") {
			t.Fatalf("triage does not offer Dark mode (or shows a planned idea):\n%s", mainOf(t, page))
		}
		if !strings.Contains(page, "+2 in 4 weeks") {
			t.Error("triage lacks the vote velocity")
		}
		// Click one opens the Plan form; click two submits it as it stands.
		form := url.Values{"status": {"planned"}, "next": {"/triage"},
			"response": {"Good news: this is planned. We'll post updates here as the work progresses."}}
		resp := sc.post(fmt.Sprintf("/ideas/%d/status", top.ID), form)
		wantStatus(t, resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != "/triage" {
			t.Errorf("after planning, Location %q, want /triage", loc)
		}
		if strings.Contains(wantStatus(t, sc.get("/triage"), http.StatusOK), ">Dark mode<") {
			t.Error("a planned idea is still in triage")
		}

		// Planned at the end of the column; staff move it up.
		resp = sc.post("/roadmap/move", url.Values{"idea": {strconv.FormatInt(top.ID, 10)}, "direction": {"up"}})
		wantStatus(t, resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != fmt.Sprintf("/roadmap#card-%d", top.ID) {
			t.Errorf("after a move, Location %q", loc)
		}
		visitor := ta.client()
		page = wantStatus(t, visitor.get("/roadmap"), http.StatusOK)
		if i, j := strings.Index(page, ">Dark mode<"), strings.Index(page, ">CSV export<"); i < 0 || j < 0 || i > j {
			t.Errorf("roadmap order: Dark mode at %d, CSV export at %d", i, j)
		}
		if !strings.Contains(page, "Good news: this is planned.") {
			t.Error("roadmap card lacks the response excerpt")
		}
		if strings.Contains(page, `action="/roadmap/move"`) {
			t.Error("a visitor sees the staff controls")
		}

		// Ship it, answering in public; JSON for scripts.
		resp = sc.post(fmt.Sprintf("/ideas/%d/status", top.ID), url.Values{"status": {"done"}, "response": {"Dark mode is **live** for everyone."}}, "Accept", "application/json")
		var out struct {
			Status       string `json:"status"`
			TakesVotes   bool   `json:"takes_votes"`
			ResponseHTML string `json:"response_html"`
		}
		if err := json.Unmarshal([]byte(wantStatus(t, resp, http.StatusOK)), &out); err != nil {
			t.Fatal(err)
		}
		if out.Status != "done" || out.TakesVotes || !strings.Contains(out.ResponseHTML, "<strong>live</strong>") {
			t.Errorf("JSON answer %+v", out)
		}
		page = wantStatus(t, visitor.get("/roadmap"), http.StatusOK)
		done := page[strings.Index(page, `data-status="done"`):]
		if !strings.Contains(done, ">Dark mode<") || !strings.Contains(done, `href="/changelog"`) {
			t.Error("the done column lacks the shipped idea or the changelog link")
		}
		page = wantStatus(t, visitor.get("/changelog"), http.StatusOK)
		if !strings.Contains(page, "Dark mode is <strong>live</strong> for everyone.") || !strings.Contains(page, "Sam Staff · Staff") {
			t.Errorf("changelog lacks the announcement:\n%s", mainOf(t, page))
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE idea_id = ?", top.ID); n != 3 {
			t.Errorf("%d events on the idea, want 3 (planned, moved, done)", n)
		}
	})
}

// A visitor's roadmap and changelog, with a fixed clock, as golden HTML;
// private and hidden ideas never appear.
func TestRoadmapAndChangelogGolden(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		ta := newTestApp(t, db)
		staff := dbtest.User(t, db, "Sam Staff", "sam@example.com", models.RoleStaff)
		ann := dbtest.User(t, db, "Ann", "ann@example.com", models.RoleMember)
		empty := ta.client()
		checkGolden(t, "roadmap_empty.html", mainOf(t, wantStatus(t, empty.get("/roadmap"), http.StatusOK)))
		checkGolden(t, "changelog_empty.html", mainOf(t, wantStatus(t, empty.get("/changelog"), http.StatusOK)))

		general := dbtest.Board(t, db, dbtest.DefaultBoard, false)
		internal := dbtest.Board(t, db, "internal", true)
		ship := func(title string, board *models.Board, response string) {
			t.Helper()
			idea := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: ann, Title: title, Status: "open", Board: board})
			dbtest.Vote(t, db, idea, ann, ta.clock.T)
			ta.clock.Advance(26 * time.Hour)
			if _, err := models.ChangeStatus(ctx, db, idea.ID, staff, "done", response); err != nil {
				t.Fatal(err)
			}
		}
		ship("CSV export", general, "You can now export any report as **CSV** from its menu.")
		ship("Internal admin tool", internal, "Shipped for the team.")
		ship("Keyboard shortcuts", general, "Press `?` anywhere to see them.")
		// Only done items: the roadmap still reads well.
		checkGolden(t, "roadmap_shipped_only.html", mainOf(t, wantStatus(t, empty.get("/roadmap"), http.StatusOK)))

		for _, title := range []string{"Dark mode", "Webhooks"} {
			idea := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: ann, Title: title, Status: "open"})
			if _, err := models.ChangeStatus(ctx, db, idea.ID, staff, "planned", "This is planned for "+title+"."); err != nil {
				t.Fatal(err)
			}
		}
		wip := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: ann, Title: "Single sign-on", Status: "open"})
		if _, err := models.ChangeStatus(ctx, db, wip.ID, staff, "in_progress", ""); err != nil {
			t.Fatal(err)
		}
		spam := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: ann, Title: "Buy cheap watches", Status: "planned"})
		if err := models.HideIdea(ctx, db, spam.ID, staff, true); err != nil {
			t.Fatal(err)
		}
		dbtest.Idea(t, db, dbtest.IdeaSpec{Author: ann, Title: "Secret project", Status: "planned", Board: internal})
		page := wantStatus(t, empty.get("/roadmap"), http.StatusOK)
		checkGolden(t, "roadmap.html", mainOf(t, page))
		for _, never := range []string{"Internal admin tool", "Secret project", "Buy cheap watches"} {
			if strings.Contains(page, never) {
				t.Errorf("the public roadmap shows %q", never)
			}
		}
		page = wantStatus(t, empty.get("/changelog"), http.StatusOK)
		checkGolden(t, "changelog.html", mainOf(t, page))
		if strings.Contains(page, "Internal admin tool") {
			t.Error("the public changelog shows a private idea")
		}

		sc := ta.client()
		sc.signInAs(staff)
		page = wantStatus(t, sc.get("/roadmap"), http.StatusOK)
		for _, want := range []string{"Secret project", `name="direction" value="up"`, `draggable="true"`, "data-roadmap"} {
			if !strings.Contains(page, want) {
				t.Errorf("staff roadmap lacks %q", want)
			}
		}
		if !strings.Contains(wantStatus(t, sc.get("/changelog"), http.StatusOK), "Internal admin tool") {
			t.Error("staff changelog lacks the private idea")
		}
		wantStatus(t, empty.get("/changelog?after=garbage"), http.StatusBadRequest)
	})
}
