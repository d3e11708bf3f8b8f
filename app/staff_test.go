package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// openingTag is the start tag of the element with the id, or "".
func openingTag(page, id string) string {
	return regexp.MustCompile(`<[a-z]+ [^>]*\bid="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(page)
}

// A staff form that fails validation comes back as the idea page, 422, with
// what was typed kept and the message by the field; nothing is changed, and
// the corrected form then goes through, back where it was headed.
func TestStaffFormsAreShownAgainWithWhatWasTyped(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		staff := dbtest.User(t, db, "Sam Staff", "sam@example.com", models.RoleStaff)
		ann := dbtest.User(t, db, "Ann", "ann@example.com", models.RoleMember)
		orig := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: ann, Title: "Dark mode", Status: "open"})
		dup := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: ann, Title: "Night theme", Status: "under_review"})
		dbtest.Vote(t, db, dup, ann, ta.clock.T)
		c := ta.client()
		c.signInAs(staff)
		id := func(i *models.Idea) string { return strconv.FormatInt(i.ID, 10) }
		response := `Keep my careful <response>: "dark" & 'light' themes`
		escaped := `Keep my careful &lt;response&gt;: &#34;dark&#34; &amp; &#39;light&#39; themes`
		long := strings.Repeat("x", models.MaxResponseLength+1)

		for _, tc := range []struct {
			name     string
			idea     *models.Idea
			action   string
			form     url.Values
			field    string // id of the field marked invalid
			says     string
			kept     string // the typed text, as the page must hold it
			selected string // the status the menu shows
			next     string // the return path the forms must carry on
		}{
			{"unknown status", orig, "status", url.Values{"status": {"bogus"}, "response": {response}},
				"staff-status-" + id(orig), "Choose one of the listed statuses.", ">" + escaped + "</textarea>", "open", ideaPath(orig.ID, orig.Slug)},
			{"duplicate status from triage", dup, "status", url.Values{"status": {"duplicate"}, "response": {response}, "next": {"/triage?sort=trending"}},
				"staff-status-" + id(dup), "To mark a duplicate, merge it into the original idea.", ">" + escaped + "</textarea>", "under_review", "/triage?sort=trending"},
			{"response too long", orig, "status", url.Values{"status": {"planned"}, "response": {long}},
				"staff-response-" + id(orig), "Keep the response under", ">" + long + "</textarea>", "planned", ideaPath(orig.ID, orig.Slug)},
			{"into not a number", dup, "merge", url.Values{"into": {"abc"}},
				"staff-merge-" + id(dup), "Give the number or the link of the original idea.", `value="abc"`, "under_review", ""},
			{"into hostile text", dup, "merge", url.Values{"into": {`<x & "y">`}},
				"staff-merge-" + id(dup), "Give the number or the link", `value="&lt;x &amp; &#34;y&#34;&gt;"`, "under_review", ""},
			{"into no such idea", dup, "merge", url.Values{"into": {"99999"}, "next": {"/triage"}},
				"staff-merge-" + id(dup), "There is no idea #99999.", `value="99999"`, "under_review", "/triage"},
			{"into itself", dup, "merge", url.Values{"into": {id(dup)}},
				"staff-merge-" + id(dup), "An idea can&#39;t be merged into itself.", `value="` + id(dup) + `"`, "under_review", ""},
		} {
			before := dbState(t, db)
			page := wantStatus(t, c.post("/ideas/"+id(tc.idea)+"/"+tc.action, tc.form), http.StatusUnprocessableEntity)
			panel := page[strings.Index(page, `<section class="card staff-panel"`)+1:]
			if !strings.Contains(page, `<h1 id="idea-title">`+tc.idea.Title+`</h1>`) || !strings.Contains(page, "Staff actions") {
				t.Fatalf("%s: not the idea page with its staff panel:\n%s", tc.name, excerptOf(mainOf(t, page)))
			}
			if !strings.Contains(panel, tc.says) {
				t.Errorf("%s: the panel lacks the message %q", tc.name, tc.says)
			}
			if !strings.Contains(panel, tc.kept) {
				t.Errorf("%s: the panel lacks what was typed, %q", tc.name, excerptOf(tc.kept))
			}
			tag := openingTag(page, tc.field)
			errID := tc.field + "-error"
			if !strings.Contains(tag, `aria-invalid="true"`) || !strings.Contains(tag, `aria-describedby="`+errID+`"`) || !strings.Contains(tag, " autofocus") {
				t.Errorf("%s: the field is not marked invalid and focused: %s", tc.name, tag)
			}
			if msg := openingTag(page, errID); !strings.Contains(msg, `class="field-error"`) {
				t.Errorf("%s: no message element %s: %q", tc.name, errID, msg)
			}
			if n := strings.Count(page, `aria-invalid="true"`); n != 1 {
				t.Errorf("%s: %d fields marked invalid, want 1", tc.name, n)
			}
			if !strings.Contains(panel, `<option value="`+tc.selected+`" selected>`) || strings.Count(panel, " selected>") != 1 {
				t.Errorf("%s: the status menu does not show %s alone as selected", tc.name, tc.selected)
			}
			if tc.next != "" && !strings.Contains(panel, `name="next" value="`+tc.next+`"`) {
				t.Errorf("%s: the forms lose the return path %q", tc.name, tc.next)
			}
			if after := dbState(t, db); after != before {
				t.Errorf("%s: the refusal changed the database:\nbefore\n%s\nafter\n%s", tc.name, before, after)
			}
		}

		// Scripts still get JSON.
		resp := c.post("/ideas/"+id(orig)+"/status", url.Values{"status": {"bogus"}}, "Accept", "application/json")
		var out struct {
			Error  string `json:"error"`
			Status int    `json:"status"`
		}
		if err := json.Unmarshal([]byte(wantStatus(t, resp, http.StatusUnprocessableEntity)), &out); err != nil {
			t.Fatal(err)
		}
		if out.Error != "Choose one of the listed statuses." || out.Status != http.StatusUnprocessableEntity {
			t.Errorf("JSON refusal %+v", out)
		}

		// Corrected, each form goes through and back where it was headed.
		resp = c.post("/ideas/"+id(dup)+"/status", url.Values{"status": {"planned"}, "response": {response}, "next": {"/triage?sort=trending"}})
		wantStatus(t, resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != "/triage?sort=trending" {
			t.Errorf("after the corrected status, Location %q", loc)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM ideas WHERE id = ? AND response = ?", dup.ID, response); n != 1 {
			t.Error("the corrected response was not stored as typed")
		}
		resp = c.post("/ideas/"+id(orig)+"/status", url.Values{"status": {"planned"}, "response": {"Planned."}, "next": {ideaPath(orig.ID, orig.Slug)}})
		wantStatus(t, resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != ideaPath(orig.ID, orig.Slug) {
			t.Errorf("after the corrected status on the idea page, Location %q", loc)
		}
		resp = c.post("/ideas/"+id(dup)+"/merge", url.Values{"into": {id(orig)}, "next": {"/triage"}})
		wantStatus(t, resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != "/triage" {
			t.Errorf("after the corrected merge, Location %q", loc)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM ideas WHERE id = ? AND merged_into_id = ?", dup.ID, orig.ID); n != 1 {
			t.Error("the corrected merge did not happen")
		}

		// A merged idea's panel has no merge form: a message about merging it
		// again goes atop the panel. Refusals that are not validation keep
		// their codes.
		before := dbState(t, db)
		page := wantStatus(t, c.post("/ideas/"+id(dup)+"/merge", url.Values{"into": {id(orig)}}), http.StatusUnprocessableEntity)
		msg := openingTag(page, "staff-error-"+id(dup))
		if !strings.Contains(msg, `class="field-error"`) || !strings.Contains(msg, " autofocus") ||
			!strings.Contains(page, fmt.Sprintf("This idea was already merged into idea #%d.", orig.ID)) {
			t.Errorf("merging a merged idea: no message atop the panel: %q", msg)
		}
		wantStatus(t, c.post("/ideas/"+id(dup)+"/status", url.Values{"status": {"planned"}, "response": {response}}), http.StatusConflict)
		wantStatus(t, c.post("/ideas/99999/status", url.Values{"status": {"bogus"}}), http.StatusNotFound)
		wantStatus(t, c.post("/ideas/99999/merge", url.Values{"into": {"abc"}}), http.StatusNotFound)
		member := ta.client()
		member.signInAs(ann)
		wantStatus(t, member.post("/ideas/"+id(orig)+"/status", url.Values{"status": {"bogus"}}), http.StatusForbidden)
		if after := dbState(t, db); after != before {
			t.Errorf("refusals changed the database:\nbefore\n%s\nafter\n%s", before, after)
		}
	})
}

func TestStaffActionsAnswerRefusalsWithStatusCodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		staff := dbtest.User(t, db, "Sam Staff", "sam@example.com", models.RoleStaff)
		ann := dbtest.User(t, db, "Ann", "ann@example.com", models.RoleMember)
		orig := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: ann, Title: "Dark mode", Status: "open"})
		dup := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: ann, Title: "Night theme", Status: "open"})
		dbtest.Vote(t, db, dup, ann, ta.clock.T)
		c := ta.client()
		c.signInAs(staff)
		statusOf := func(id int64) string { return fmt.Sprintf("/ideas/%d/status", id) }

		for _, tc := range []struct {
			path string
			form url.Values
			want int
			says string
		}{
			{statusOf(orig.ID), url.Values{"status": {"nope"}}, http.StatusUnprocessableEntity, "Choose one of the listed statuses."},
			{statusOf(orig.ID), url.Values{"status": {"duplicate"}}, http.StatusUnprocessableEntity, "merge it into the original"},
			{"/ideas/abc/status", url.Values{"status": {"planned"}}, http.StatusNotFound, ""},
			{"/ideas/999999/status", url.Values{"status": {"planned"}}, http.StatusNotFound, ""},
			{fmt.Sprintf("/ideas/%d/merge", dup.ID), url.Values{"into": {strconv.FormatInt(dup.ID, 10)}}, http.StatusUnprocessableEntity, "merged into itself"},
			{fmt.Sprintf("/ideas/%d/merge", dup.ID), url.Values{"into": {"999999"}}, http.StatusUnprocessableEntity, "There is no idea #999999."},
			{fmt.Sprintf("/ideas/%d/merge", dup.ID), url.Values{"into": {"nonsense"}}, http.StatusUnprocessableEntity, "number or the link"},
			{"/ideas/999999/merge", url.Values{"into": {strconv.FormatInt(orig.ID, 10)}}, http.StatusNotFound, ""},
			{"/roadmap/move", url.Values{"idea": {strconv.FormatInt(orig.ID, 10)}, "direction": {"up"}}, http.StatusUnprocessableEntity, "ordered by hand"},
			{"/roadmap/move", url.Values{"idea": {"x"}, "direction": {"up"}}, http.StatusNotFound, ""},
		} {
			b := wantStatus(t, c.post(tc.path, tc.form), tc.want)
			if !strings.Contains(b, tc.says) {
				t.Errorf("POST %s %v: page lacks %q", tc.path, tc.form, tc.says)
			}
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events"); n != 0 {
			t.Errorf("%d events after refusals", n)
		}

		// A merge by link goes on to the original, whose page now counts
		// the vote; the duplicate points there.
		resp := c.post(fmt.Sprintf("/ideas/%d/merge", dup.ID), url.Values{"into": {"http://portal.test" + ideaPath(orig.ID, orig.Slug)}})
		wantStatus(t, resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != ideaPath(orig.ID, orig.Slug) {
			t.Errorf("after merge, Location %q, want %q", loc, ideaPath(orig.ID, orig.Slug))
		}
		if n := dbtest.Count(t, db, "SELECT votes_count FROM ideas WHERE id = ?", orig.ID); n != 1 {
			t.Errorf("original has %d votes, want 1", n)
		}
		// Redirects follow only this site: a foreign next or Referer is ignored.
		resp = c.post(statusOf(orig.ID), url.Values{"status": {"under_review"}, "next": {"//evil.example/x"}}, "Referer", "http://evil.example/")
		wantStatus(t, resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != ideaPath(orig.ID, orig.Slug) {
			t.Errorf("Location %q, want %q", loc, ideaPath(orig.ID, orig.Slug))
		}
		resp = c.post(statusOf(orig.ID), url.Values{"status": {"open"}}, "Referer", "http://portal.test/triage?sort=trending")
		wantStatus(t, resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != "/triage?sort=trending" {
			t.Errorf("Location %q, want the referring triage view", loc)
		}
	})
}

// dbState is everything the staff routes could change, as text.
func dbState(t *testing.T, db *models.DB) string {
	t.Helper()
	var b strings.Builder
	rows, err := db.Bun().QueryContext(context.Background(), `SELECT id, status_id, votes_count, roadmap_position, merged_into_id IS NULL,
		hidden_at IS NULL, response, responded_at IS NULL, updated_at FROM ideas ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, status, votes int64
		var pos float64
		var notMerged, notHidden, noResponseAt bool
		var response string
		var updated time.Time
		if err := rows.Scan(&id, &status, &votes, &pos, &notMerged, &notHidden, &response, &noResponseAt, &updated); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%d %d %d %v %v %v %q %v %s\n", id, status, votes, pos, notMerged, notHidden, response, noResponseAt, updated.UTC())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"votes", "subscriptions", "events"} {
		fmt.Fprintf(&b, "%s %d\n", table, dbtest.Count(t, db, "SELECT count(*) FROM "+table))
	}
	return b.String()
}

// Every staff-only route and action, tried by a visitor, a member, a blocked
// member and a blocked staff member: each is refused and nothing changes.
func TestStaffRoutesRefuseEveryoneElse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		ann := dbtest.User(t, db, "Ann", "ann@example.com", models.RoleMember)
		blocked := dbtest.User(t, db, "Blocked", "blocked@example.com", models.RoleMember)
		exStaff := dbtest.User(t, db, "Former", "former@example.com", models.RoleStaff)
		for _, u := range []*models.User{blocked, exStaff} {
			if _, err := models.BlockUser(context.Background(), db, u.EmailAddress()); err != nil {
				t.Fatal(err)
			}
		}
		orig := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: ann, Title: "Dark mode", Status: "planned"})
		second := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: ann, Title: "CSV export", Status: "planned"})
		dup := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: ann, Title: "Night theme", Status: "open"})
		dbtest.Vote(t, db, dup, ann, ta.clock.T)
		id := func(i *models.Idea) string { return strconv.FormatInt(i.ID, 10) }

		actions := []gatedAction{
			{"GET", "/triage", nil},
			{"GET", "/triage?sort=trending", nil},
			{"POST", "/ideas/" + id(dup) + "/status", url.Values{"status": {"planned"}, "response": {"Yes"}}},
			{"POST", "/ideas/" + id(dup) + "/merge", url.Values{"into": {id(orig)}}},
			{"POST", "/ideas/" + id(dup) + "/hide", nil},
			{"POST", "/ideas/" + id(dup) + "/unhide", nil},
			{"POST", "/roadmap/move", url.Values{"idea": {id(second)}, "direction": {"up"}}},
			{"POST", "/roadmap/move", url.Values{"idea": {id(dup)}, "status": {"in_progress"}}},
		}
		staff := dbtest.User(t, db, "Sam Staff", "sam@example.com", models.RoleStaff)
		before := dbState(t, db)
		checkRefused(t, ta, actions, []*models.User{nil, ann, blocked, exStaff}, staff, "Staff actions")
		if after := dbState(t, db); after != before {
			t.Errorf("refused requests changed the database:\nbefore\n%s\nafter\n%s", before, after)
		}
	})
}

// The staff panel the idea page includes, rendered on its own.
func TestStaffPanelRenders(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		ta := newTestApp(t, db)
		staff := dbtest.User(t, db, "Sam Staff", "sam@example.com", models.RoleStaff)
		idea := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: staff, Title: "Dark mode", Status: "under_review"})
		loaded, err := models.IdeaByID(ctx, db, idea.ID, staff)
		if err != nil {
			t.Fatal(err)
		}
		statuses, err := models.Statuses(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		data := map[string]any{"Idea": loaded, "Statuses": statuses, "CSRF": "tok", "User": staff}
		out, err := ta.views.execute("partials/staff_panel", "", data)
		if err != nil {
			t.Fatal(err)
		}
		html := string(out)
		for _, want := range []string{
			fmt.Sprintf(`action="/ideas/%d/status"`, idea.ID), `name="status"`, `<option value="under_review" selected>`,
			`name="response"`, "Update status", fmt.Sprintf(`action="/ideas/%d/merge"`, idea.ID), `name="into"`,
			fmt.Sprintf(`action="/ideas/%d/hide"`, idea.ID), `name="_csrf" value="tok"`,
		} {
			if !strings.Contains(html, want) {
				t.Errorf("staff panel lacks %s", want)
			}
		}
		if strings.Contains(html, `value="duplicate"`) {
			t.Error("the status menu offers duplicate; that is what merging is for")
		}
	})
}
