package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// mergeRows is what a merge could move or mark, for every idea, as text.
func mergeRows(t *testing.T, db *models.DB) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(dbState(t, db))
	rows, err := db.Bun().QueryContext(context.Background(), "SELECT idea_id, count(*) FROM comments GROUP BY idea_id ORDER BY idea_id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var idea, n int64
		if err := rows.Scan(&idea, &n); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "idea %d has %d comments\n", idea, n)
	}
	return b.String()
}

// The staff form refuses a merge across a privacy boundary with 422 on the
// idea page, the message beside the merge field and the input kept; the
// picker says so, and its search offers only ideas the idea may merge into.
func TestStaffCannotMergeAcrossPrivacy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		sam := dbtest.User(t, db, "Sam Staff", "sam@example.com", models.RoleStaff)
		ann := dbtest.User(t, db, "Ann", "ann@example.com", models.RoleMember)
		public := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: ann, Title: "Quokka export for everyone"})
		internal := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: sam, Title: "Quokka export for Acme only", Board: dbtest.Board(t, db, "internal", true)})
		other := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: sam, Title: "Quokka contract terms", Board: dbtest.Board(t, db, "legal", true)})
		dbtest.Vote(t, db, public, ann, ta.clock.T)
		if _, err := models.CreateComment(context.Background(), db, models.NewComment{IdeaID: internal.ID, Author: sam, Body: "Staff note: Acme pays for this."}); err != nil {
			t.Fatal(err)
		}
		id := func(i *models.Idea) string { return strconv.FormatInt(i.ID, 10) }
		c := ta.client()
		c.signInAs(sam)

		page := wantStatus(t, c.get(ideaPath(public.ID, public.Slug)), http.StatusOK)
		if !strings.Contains(page, "a public idea merges only into a public one") {
			t.Error("the merge picker does not say that merges stay on one side of privacy")
		}

		for _, tc := range []struct {
			name       string
			dup, orig  *models.Idea
			says, next string
		}{
			{"public into private", public, internal, "is on a private board", ""},
			{"private into public", internal, public, "would make its private discussion public", "/triage"},
			{"between private boards", internal, other, "is on another private board", ""},
		} {
			before := mergeRows(t, db)
			form := url.Values{"into": {id(tc.orig)}}
			if tc.next != "" {
				form.Set("next", tc.next)
			}
			page := wantStatus(t, c.post("/ideas/"+id(tc.dup)+"/merge", form), http.StatusUnprocessableEntity)
			if !strings.Contains(page, `<h1 id="idea-title">`+tc.dup.Title+`</h1>`) {
				t.Fatalf("%s: not the duplicate's page:\n%s", tc.name, excerptOf(mainOf(t, page)))
			}
			field := "staff-merge-" + id(tc.dup)
			tag := openingTag(page, field)
			if !strings.Contains(tag, `aria-invalid="true"`) || !strings.Contains(tag, `aria-describedby="`+field+`-error"`) ||
				!strings.Contains(tag, " autofocus") || !strings.Contains(tag, `value="`+id(tc.orig)+`"`) {
				t.Errorf("%s: the merge field is not marked, focused and kept: %s", tc.name, tag)
			}
			msg := page[strings.Index(page, `id="`+field+`-error"`):]
			msg = msg[:strings.Index(msg, "</p>")]
			if !strings.Contains(msg, tc.says) || !strings.Contains(msg, "#"+id(tc.orig)) {
				t.Errorf("%s: the message beside the field is %q, want it to say %q about #%d", tc.name, msg, tc.says, tc.orig.ID)
			}
			if tc.next != "" && !strings.Contains(page, `name="next" value="`+tc.next+`"`) {
				t.Errorf("%s: the form loses its return path", tc.name)
			}
			if after := mergeRows(t, db); after != before {
				t.Errorf("%s: the refusal changed the database:\nbefore\n%s\nafter\n%s", tc.name, before, after)
			}
		}
		// The staff note never reached the public idea.
		members := ta.client()
		members.signInAs(ann)
		if page := wantStatus(t, members.get(ideaPath(public.ID, public.Slug)), http.StatusOK); strings.Contains(page, "Acme pays") {
			t.Error("a member reads the private staff note on the public idea")
		}

		// Scripts get the same refusal as JSON.
		resp := c.post("/ideas/"+id(public)+"/merge", url.Values{"into": {id(internal)}}, "Accept", "application/json")
		var out struct {
			Error  string `json:"error"`
			Status int    `json:"status"`
		}
		if err := json.Unmarshal([]byte(wantStatus(t, resp, http.StatusUnprocessableEntity)), &out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.Error, "is on a private board") {
			t.Errorf("JSON refusal %+v", out)
		}

		// The picker's search offers what each idea may merge into.
		similar := func(c *client, path string) []int64 {
			t.Helper()
			var got struct {
				Ideas []struct {
					ID int64 `json:"id"`
				} `json:"ideas"`
			}
			if err := json.Unmarshal([]byte(wantStatus(t, c.get(path, "Accept", "application/json"), http.StatusOK)), &got); err != nil {
				t.Fatal(err)
			}
			ids := []int64{}
			for _, i := range got.Ideas {
				ids = append(ids, i.ID)
			}
			return ids
		}
		for _, tc := range []struct {
			path string
			want []int64
		}{
			{"/ideas/similar?q=quokka", []int64{public.ID, internal.ID, other.ID}},
			{"/ideas/similar?q=quokka&merge=" + id(public), []int64{public.ID}},
			{"/ideas/similar?q=quokka&merge=" + id(internal), []int64{internal.ID}},
			{"/ideas/similar?q=quokka&merge=" + id(other), []int64{other.ID}},
		} {
			got := similar(c, tc.path)
			if fmt.Sprint(sortedIDs(got)) != fmt.Sprint(sortedIDs(tc.want)) {
				t.Errorf("staff %s: ideas %v, want %v", tc.path, got, tc.want)
			}
		}
		// Someone who may not see the idea learns nothing from naming it.
		wantStatus(t, members.get("/ideas/similar?q=quokka&merge="+id(internal), "Accept", "application/json"), http.StatusNotFound)
		if got := similar(members, "/ideas/similar?q=quokka&merge="+id(public)); fmt.Sprint(got) != fmt.Sprint([]int64{public.ID}) {
			t.Errorf("member: ideas %v, want only the public one", got)
		}
	})
}

func sortedIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}
