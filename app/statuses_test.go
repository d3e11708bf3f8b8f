package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func statusForm_(name, color, category, position string, roadmap bool) url.Values {
	f := url.Values{"name": {name}, "color": {color}, "category": {category}, "position": {position}}
	if roadmap {
		f.Set("on_roadmap", "1")
	}
	return f
}

// The statuses editor round trip: an admin creates a status, renames,
// recolours, re-categorises and moves it, puts it on the roadmap (which
// grows a column) and merges a status in use into it (its ideas move, the
// status is gone, from the roadmap too). Each step is one audit event;
// refusals are 422 beside the field with nothing changed.
func TestStatusEditorRoundTrip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		ta := newTestApp(t, db)
		admin := dbtest.User(t, db, "Ada Admin", "ada@example.com", models.RoleAdmin)
		sam := dbtest.User(t, db, "Sam", "sam@example.com", models.RoleStaff)
		ann := dbtest.User(t, db, "Ann", "ann@example.com", models.RoleMember)
		c, s, visitor := ta.client(), ta.client(), ta.client()
		c.signInAs(admin)
		s.signInAs(sam)

		var planned []*models.Idea
		for _, title := range []string{"Quokka one", "Quokka two", "Quokka three"} {
			i, err := models.CreateIdea(ctx, db, models.NewIdea{Author: ann, Board: "feature-requests", Title: title})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := models.ChangeStatus(ctx, db, i.ID, sam, "planned", ""); err != nil {
				t.Fatal(err)
			}
			planned = append(planned, i)
		}
		// One of them hidden: it moves with the others all the same.
		if err := models.HideIdea(ctx, db, planned[2].ID, sam, true); err != nil {
			t.Fatal(err)
		}

		wantStatus(t, s.post("/admin/statuses", statusForm_("Shipping soon", "#0ea5e9", "active", "", true)), http.StatusForbidden)
		statuses := dbtest.Count(t, db, "SELECT count(*) FROM statuses")
		for _, tc := range []struct {
			f     url.Values
			field string
		}{
			{statusForm_("", "#0ea5e9", "active", "", true), "status-new-name-error"},
			{statusForm_("Shipping soon", "sky", "active", "", true), "status-new-color-error"},
			{statusForm_("Shipping soon", "#0ea5e9", "someday", "", true), "status-new-category-error"},
			{statusForm_("Shipping soon", "#0ea5e9", "active", "-3", true), "status-new-position-error"},
			{statusForm_("Planned", "#0ea5e9", "active", "", true), "status-new-name-error"},
		} {
			b := wantStatus(t, c.post("/admin/statuses", tc.f), http.StatusUnprocessableEntity)
			if !strings.Contains(b, `id="`+tc.field+`"`) || !strings.Contains(b, `value="`+tc.f.Get("name")+`"`) {
				t.Errorf("%v: no %s, or the input lost:\n%s", tc.f, tc.field, excerptOf(b))
			}
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM statuses"); n != statuses {
			t.Fatalf("%d statuses after refusals, want %d", n, statuses)
		}

		resp := c.post("/admin/statuses", statusForm_("Shipping  soon", "#0EA5E9", "active", "", false))
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin#status-shipping_soon" {
			t.Fatalf("create: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		st, err := models.StatusBySlug(ctx, db, "shipping_soon")
		if err != nil {
			t.Fatal(err)
		}
		if st.Name != "Shipping soon" || st.Color != "#0ea5e9" || st.Category != "active" || st.OnRoadmap || st.Position != 8 {
			t.Fatalf("created %+v", st)
		}
		if b := wantStatus(t, visitor.get("/roadmap"), http.StatusOK); strings.Contains(b, "Shipping soon") {
			t.Fatal("a status off the roadmap has a column")
		}

		// Rename, recolour, re-categorise, move to the front, and onto the
		// roadmap: the slug stays.
		resp = c.post("/admin/statuses/shipping_soon", statusForm_("Coming next", "#0369a1", "open", "0", true))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("update: %d\n%s", resp.StatusCode, excerptOf(body(t, resp)))
		}
		if st, err = models.StatusBySlug(ctx, db, "shipping_soon"); err != nil || st.Name != "Coming next" || st.Color != "#0369a1" ||
			st.Category != "open" || !st.OnRoadmap || st.Position != 0 {
			t.Fatalf("updated %+v, %v", st, err)
		}
		b := wantStatus(t, visitor.get("/roadmap"), http.StatusOK)
		if i, j := strings.Index(b, "Coming next"), strings.Index(b, ">Planned<"); i < 0 || j < 0 || i > j {
			t.Fatalf("the roadmap's columns do not follow: Coming next at %d, Planned at %d", i, j)
		}
		// The seeded ones stay editable.
		if resp := c.post("/admin/statuses/done", statusForm_("Shipped", "#16a34a", "done", "5", true)); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("rename done: %d", resp.StatusCode)
		}
		wantStatus(t, c.post("/admin/statuses/nope", statusForm_("X", "#000000", "open", "", false)), http.StatusNotFound)
		// A form naming one field changes that alone; the page's form
		// unticks the roadmap box with its hidden "0".
		if resp := c.post("/admin/statuses/declined", url.Values{"name": {"Not now"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("rename alone: %d", resp.StatusCode)
		}
		if st, err := models.StatusBySlug(ctx, db, "declined"); err != nil || st.Name != "Not now" || st.Color != "#dc2626" || st.Category != "closed" || st.Position != 6 {
			t.Fatalf("after a rename alone: %+v, %v", st, err)
		}
		c.post("/admin/statuses/done", url.Values{"on_roadmap": {"0"}})
		if st, _ := models.StatusBySlug(ctx, db, "done"); st.OnRoadmap || st.Name != "Shipped" {
			t.Fatalf("unticked: %+v", st)
		}
		c.post("/admin/statuses/done", url.Values{"on_roadmap": {"0", "1"}})
		if st, _ := models.StatusBySlug(ctx, db, "done"); !st.OnRoadmap {
			t.Fatalf("ticked: %+v", st)
		}

		// Merge planned (three ideas, one hidden) into the new status.
		wantStatus(t, c.post("/admin/statuses/planned/merge", url.Values{"into": {"planned"}}), http.StatusUnprocessableEntity)
		b = wantStatus(t, c.post("/admin/statuses/planned/merge", url.Values{"into": {"nowhere"}}), http.StatusUnprocessableEntity)
		if !strings.Contains(b, `id="status-planned-into-error"`) {
			t.Errorf("no error beside the merge choice:\n%s", excerptOf(b))
		}
		resp = c.post("/admin/statuses/planned/merge", url.Values{"into": {"shipping_soon"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("merge: %d\n%s", resp.StatusCode, excerptOf(body(t, resp)))
		}
		if _, err := models.StatusBySlug(ctx, db, "planned"); err == nil {
			t.Fatal("the merged status still exists")
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM ideas i JOIN statuses s ON s.id = i.status_id WHERE s.slug = 'shipping_soon'"); n != 3 {
			t.Fatalf("%d ideas in the merged-into status, want 3", n)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM statuses"); n != statuses {
			t.Fatalf("%d statuses, want %d", n, statuses)
		}
		b = wantStatus(t, visitor.get("/roadmap"), http.StatusOK)
		if strings.Contains(b, ">Planned<") || strings.Count(b, "Quokka") != 2 {
			t.Fatalf("the roadmap after the merge: Planned column or wrong cards (%d)", strings.Count(b, "Quokka"))
		}
		b = wantStatus(t, visitor.get("/?status=shipping_soon"), http.StatusOK)
		if !strings.Contains(b, "Quokka one") || !strings.Contains(b, "Quokka two") || strings.Contains(b, "Quokka three") {
			t.Fatal("the status filter does not list the moved ideas")
		}
		wantStatus(t, visitor.get("/?status=planned"), http.StatusNotFound)

		// The last open statuses cannot all stop being open: new ideas
		// start in one.
		for _, slug := range []string{"open", "under_review"} {
			if resp := c.post("/admin/statuses/"+slug+"/merge", url.Values{"into": {"in_progress"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("merge %s: %d", slug, resp.StatusCode)
			}
		}
		b = wantStatus(t, c.post("/admin/statuses/shipping_soon", statusForm_("Coming next", "#0369a1", "active", "0", true)), http.StatusUnprocessableEntity)
		if !strings.Contains(b, "the last one") {
			t.Errorf("no explanation:\n%s", excerptOf(b))
		}
		if _, err := models.CreateIdea(ctx, db, models.NewIdea{Author: ann, Board: "feature-requests", Title: "Still possible"}); err != nil {
			t.Fatalf("a new idea after the merges: %v", err)
		}

		var kinds []string
		if err := db.Bun().NewSelect().Table("events").Column("kind").Where("kind LIKE 'status.%'").OrderExpr("id").Scan(ctx, &kinds); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(kinds, " "); got != "status.created status.updated status.updated status.updated status.updated status.updated status.merged status.merged status.merged" {
			t.Fatalf("status events: %s", got)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE kind LIKE 'status.%' AND actor_id = ?", admin.ID); n != 9 {
			t.Fatalf("%d status events by the admin, want 9", n)
		}
	})
}
