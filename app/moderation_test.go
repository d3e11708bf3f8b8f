package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// setApproval sets the approval policy as the settings form stores it.
func setApproval(t *testing.T, db *models.DB, policy string) {
	t.Helper()
	if _, err := db.Bun().NewRaw("INSERT INTO settings (key, value) VALUES ('site_approval', ?) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", policy).
		Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// ideaCounts is how many ideas the public count on each board, by slug.
func ideaCounts(t *testing.T, db *models.DB) map[string]int {
	t.Helper()
	bs, err := models.BoardSummaries(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, b := range bs {
		out[b.Slug] = b.IdeasCount
	}
	return out
}

// A member's idea that waits for approval is seen by its author (marked as
// waiting) and staff only: visitors and other members get 404 for its page
// and its feed and find it on no list, search, suggestion, roadmap,
// sitemap, feed or count. Approving it over HTTP publishes it everywhere
// with exact counts and one event; a declined one stays hidden even from
// its author.
func TestPendingIdeaSeenByAuthorAndStaffOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		ta := newTestApp(t, db)
		cast := dbtest.People(t, db)
		// The control is posted before approval is asked for.
		dbtest.PostIdea(t, db, cast.Bob, "Quokka Xylopublic control", "Quokka body")
		setApproval(t, db, models.ApprovalAll)

		author, staff, visitor, member := ta.client(), ta.client(), ta.client(), ta.client()
		author.signInAs(cast.Ann)
		staff.signInAs(cast.Staff)
		member.signInAs(cast.Bob)
		resp := author.post("/ideas", url.Values{"title": {"Quokka Xylohidden waiting"}, "body": {"Quokka waits"}, "board": {dbtest.DefaultBoard}})
		wantStatus(t, resp, http.StatusSeeOther)
		page := resp.Header.Get("Location")
		var pending []models.Idea
		if err := db.Bun().NewSelect().Model(&pending).Where("moderation = ?", models.ModerationPending).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if len(pending) != 1 || pending[0].HiddenAt == nil || page != ideaPath(pending[0].ID, pending[0].Slug) {
			t.Fatalf("pending ideas %+v, redirected to %q", pending, page)
		}
		idea := pending[0]
		if got := ideaCounts(t, db)[dbtest.DefaultBoard]; got != 1 {
			t.Errorf("board count with one idea waiting = %d, want 1", got)
		}

		surfaces := []string{"/", "/?sort=new", "/?sort=top", "/?sort=active", "/?q=quokka", "/?status=open",
			"/?board=" + dbtest.DefaultBoard, "/ideas/similar?q=quokka", "/roadmap", "/changelog", "/sitemap.xml",
			"/boards/" + dbtest.DefaultBoard + "/feed.atom"}
		for _, f := range []string{"ideas", "roadmap", "changelog"} {
			for _, ext := range []string{"rss", "atom", "json"} {
				surfaces = append(surfaces, "/feeds/"+f+"."+ext)
			}
		}
		everywhere := func(when string, shown bool) {
			t.Helper()
			for who, c := range map[string]*client{"visitor": visitor, "member": member} {
				for _, p := range surfaces {
					b := strings.ToLower(wantStatus(t, c.get(p), http.StatusOK))
					// Open ideas are on no roadmap and no changelog: there
					// the idea must simply never show.
					lists := !strings.Contains(p, "roadmap") && !strings.Contains(p, "changelog")
					if lists && !strings.Contains(b, markPublic) {
						t.Errorf("%s, %s GET %s: the control idea is missing", when, who, p)
					}
					if got := strings.Contains(b, markHidden); got != (shown && lists) {
						t.Errorf("%s, %s GET %s: shows the idea = %v, want %v", when, who, p, got, shown && lists)
					}
				}
				want := http.StatusOK
				if !shown {
					want = http.StatusNotFound
				}
				for _, p := range []string{page, fmt.Sprintf("/ideas/%d", idea.ID), fmt.Sprintf("/ideas/%d/feed.atom", idea.ID)} {
					if r := c.get(p); r.StatusCode != want && !(shown && r.StatusCode == http.StatusMovedPermanently) {
						t.Errorf("%s, %s GET %s: status %d, want %d", when, who, p, r.StatusCode, want)
					}
				}
			}
		}
		everywhere("waiting", false)

		// The author reads it, marked as waiting, with no report form.
		b := wantStatus(t, author.get(page), http.StatusOK)
		if !strings.Contains(b, "Waiting for approval") || !strings.Contains(b, "Only you and the team can see this idea") {
			t.Errorf("the author's page lacks the waiting notice: %s", excerptOf(b))
		}
		// Staff find it in the queue, with its buttons.
		q := wantStatus(t, staff.get("/admin/queue"), http.StatusOK)
		if !strings.Contains(q, "Quokka Xylohidden waiting") || !strings.Contains(q, fmt.Sprintf(`action="/ideas/%d/approve"`, idea.ID)) {
			t.Errorf("the queue lacks the waiting idea: %s", excerptOf(q))
		}
		// Members may not approve: 403, nothing changes.
		wantStatus(t, member.post(fmt.Sprintf("/ideas/%d/approve", idea.ID), nil), http.StatusForbidden)
		if n, _ := models.CountPending(ctx, db); n != 1 {
			t.Fatalf("pending after a member's approve = %d, want 1", n)
		}

		resp = staff.post(fmt.Sprintf("/ideas/%d/approve", idea.ID), url.Values{"next": {"/admin/queue"}})
		wantStatus(t, resp, http.StatusSeeOther)
		everywhere("approved", true)
		if got := ideaCounts(t, db)[dbtest.DefaultBoard]; got != 2 {
			t.Errorf("board count after approval = %d, want 2", got)
		}
		evs := dbtest.Events(t, db, models.EventIdeaApproved, idea.ID)
		if len(evs) != 1 || evs[0].ActorID == nil || *evs[0].ActorID != cast.Staff.ID {
			t.Errorf("approval events %+v, want one by staff", evs)
		}
		if n, _ := models.CountPending(ctx, db); n != 0 {
			t.Errorf("pending after approval = %d, want 0", n)
		}
		// Approving again is refused and records nothing more.
		wantStatus(t, staff.post(fmt.Sprintf("/ideas/%d/approve", idea.ID), nil), http.StatusConflict)
		if n := len(dbtest.Events(t, db, models.EventIdeaApproved, 0)); n != 1 {
			t.Errorf("approval events after a second approve = %d, want 1", n)
		}

		// A declined idea is hidden from its author too.
		resp = author.post("/ideas", url.Values{"title": {"Quokka Xylohidden declined"}, "board": {dbtest.DefaultBoard}})
		declined := resp.Header.Get("Location")
		wantStatus(t, author.get(declined), http.StatusOK)
		var id int64
		fmt.Sscanf(declined, "/ideas/%d/", &id)
		wantStatus(t, staff.post(fmt.Sprintf("/ideas/%d/decline", id), nil), http.StatusSeeOther)
		wantStatus(t, author.get(declined), http.StatusNotFound)
		if r := dbtest.Reload(t, db, id); r.Moderation != models.ModerationDeclined || r.HiddenAt == nil {
			t.Errorf("declined idea: moderation %q hidden %v", r.Moderation, r.HiddenAt)
		}
		if got := ideaCounts(t, db)[dbtest.DefaultBoard]; got != 2 {
			t.Errorf("board count after a decline = %d, want 2", got)
		}
	})
}

// Who waits: staff never; with "new", an account younger than a week or
// without a published idea; with "never", nobody.
func TestWhoWaitsForApproval(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		cast := dbtest.People(t, db)
		clock := dbtest.FixClock(db)
		old := dbtest.User(t, db, "Olga", "olga@example.com", models.RoleMember)
		waits := func(u *models.User, title string) bool {
			t.Helper()
			return dbtest.PostIdea(t, db, u, title, "").Moderation == models.ModerationPending
		}
		if waits(old, "Posted before approval") {
			t.Fatal("with approval never, an idea waited")
		}
		clock.Advance(8 * 24 * time.Hour)
		setApproval(t, db, models.ApprovalNew)
		young := dbtest.User(t, db, "Yuri", "yuri@example.com", models.RoleMember)
		for _, c := range []struct {
			who  *models.User
			want bool
		}{
			{cast.Staff, false}, {cast.Admin, false},
			{old, false},     // a week old with a published idea
			{cast.Bob, true}, // a week old, nothing published
			{young, true},    // new
		} {
			if got := waits(c.who, "An idea by "+c.who.Name); got != c.want {
				t.Errorf("approval new, %s waits = %v, want %v", c.who.Name, got, c.want)
			}
		}
		setApproval(t, db, models.ApprovalAll)
		if !waits(old, "Another by Olga") || waits(cast.Staff, "Another by staff") {
			t.Error("approval all: a member must wait and staff must not")
		}
	})
}

// Members report an idea and a comment once each, with a reason; the queue
// shows each with its count and reasons; staff hide one (through the
// hiding path: counts drop, the idea leaves the lists) and dismiss the
// other; each decision is one audit event.
func TestReportsQueueAndResolve(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		ta := newTestApp(t, db)
		cast := dbtest.People(t, db)
		carl := dbtest.User(t, db, "Carl", "carl@example.com", models.RoleMember)
		spam := dbtest.PostIdea(t, db, carl, "Cheap pills Xylohidden", "Buy now")
		good := dbtest.PostIdea(t, db, cast.Ann, "Dark mode", "Please")
		cm, err := models.CreateComment(ctx, db, models.NewComment{IdeaID: good.ID, Author: carl, Body: "rude words"})
		if err != nil {
			t.Fatal(err)
		}
		ann, bob, staff, visitor := ta.client(), ta.client(), ta.client(), ta.client()
		ann.signInAs(cast.Ann)
		bob.signInAs(cast.Bob)
		staff.signInAs(cast.Staff)

		reportIdea := fmt.Sprintf("/ideas/%d/report", spam.ID)
		reportComment := fmt.Sprintf("/ideas/%d/comments/%d/report", good.ID, cm.ID)
		// A visitor is sent to sign in; an empty reason is a 422 beside the field.
		if r := visitor.post(reportIdea, url.Values{"reason": {"spam"}}); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
			t.Errorf("visitor report: %d to %q", r.StatusCode, r.Header.Get("Location"))
		}
		b := wantStatus(t, ann.post(reportIdea, url.Values{"reason": {"  "}}), http.StatusUnprocessableEntity)
		if !strings.Contains(b, `id="report-idea-error"`) || !strings.Contains(b, "Say briefly what is wrong") {
			t.Errorf("the refused report lacks its message by the field: %s", excerptOf(b))
		}
		b = wantStatus(t, bob.post(reportComment, url.Values{"reason": {strings.Repeat("x", 501)}}), http.StatusUnprocessableEntity)
		if !strings.Contains(b, strings.Repeat("x", 501)) {
			t.Error("the refused comment report did not keep the input")
		}
		for _, c := range []*client{ann, bob, ann} { // ann twice: counted once
			r := c.post(reportIdea, url.Values{"reason": {"spam by " + fmt.Sprint(c == bob)}})
			wantStatus(t, r, http.StatusSeeOther)
			if loc := r.Header.Get("Location"); loc != ideaPath(spam.ID, spam.Slug)+"?reported=1" {
				t.Errorf("report answered to %q", loc)
			}
		}
		wantStatus(t, bob.post(reportComment, url.Values{"reason": {"rude"}}), http.StatusSeeOther)
		wantStatus(t, bob.post(fmt.Sprintf("/ideas/%d/comments/%d/report", spam.ID, cm.ID), url.Values{"reason": {"x"}}), http.StatusNotFound)
		n, err := db.Bun().NewSelect().Table("reports").Count(ctx)
		if err != nil || n != 3 {
			t.Fatalf("report rows = %d (%v), want 3", n, err)
		}

		q := wantStatus(t, staff.get("/admin/queue"), http.StatusOK)
		for _, want := range []string{"2 reports", "1 report<", "spam by false", "spam by true", "rude"} {
			if !strings.Contains(q, want) {
				t.Errorf("the queue lacks %q", want)
			}
		}
		wantStatus(t, bob.get("/admin/queue"), http.StatusForbidden)
		wantStatus(t, bob.post("/admin/reports/resolve", url.Values{"idea": {fmt.Sprint(spam.ID)}, "action": {"hide"}}), http.StatusForbidden)

		wantStatus(t, staff.post("/admin/reports/resolve", url.Values{"idea": {fmt.Sprint(spam.ID)}, "comment": {"0"}, "action": {"hide"}}), http.StatusSeeOther)
		wantStatus(t, staff.post("/admin/reports/resolve", url.Values{"idea": {fmt.Sprint(good.ID)}, "comment": {fmt.Sprint(cm.ID)}, "action": {"dismiss"}}), http.StatusSeeOther)
		// Resolving what has no open report is 404.
		wantStatus(t, staff.post("/admin/reports/resolve", url.Values{"idea": {fmt.Sprint(good.ID)}, "action": {"dismiss"}}), http.StatusNotFound)

		if r := dbtest.Reload(t, db, spam.ID); r.HiddenAt == nil {
			t.Error("the reported idea was not hidden")
		}
		if r := dbtest.Reload(t, db, good.ID); r.CommentsCount != 1 {
			t.Errorf("comments on the idea after a dismissal = %d, want 1", r.CommentsCount)
		}
		wantStatus(t, visitor.get(ideaPath(spam.ID, spam.Slug)), http.StatusNotFound)
		if len(dbtest.Events(t, db, models.EventIdeaHidden, spam.ID)) != 1 {
			t.Error("hiding from the queue did not record idea.hidden")
		}
		open, err := db.Bun().NewSelect().Table("reports").Where("resolved_at IS NULL").Count(ctx)
		if err != nil || open != 0 {
			t.Errorf("open reports after resolving = %d (%v), want 0", open, err)
		}
		entries, _, err := models.AuditLog(ctx, db, models.AuditQuery{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			got = append(got, e.Kind+"|"+e.Target+"|"+e.Summary)
		}
		want := []string{
			models.EventReportDismissed + fmt.Sprintf("|Comment #%d on idea #%d|Dismissed after 1 report", cm.ID, good.ID),
			models.EventReportResolved + fmt.Sprintf("|Idea #%d|Hidden after 2 reports", spam.ID),
			models.EventIdeaHidden + fmt.Sprintf("|Idea #%d “Cheap pills Xylohidden”|Hidden", spam.ID),
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

// Reporting is limited per person: past the limit, 429 with Retry-After.
func TestReportRateLimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db, WithRates(map[string]Rate{"report-user": {Max: 2, Window: time.Hour}}))
		cast := dbtest.People(t, db)
		bob := ta.client()
		bob.signInAs(cast.Bob)
		for i := 0; i < 3; i++ {
			idea := dbtest.PostIdea(t, db, cast.Ann, fmt.Sprintf("Idea number %d", i), "")
			r := bob.post(fmt.Sprintf("/ideas/%d/report", idea.ID), url.Values{"reason": {"spam"}})
			want := http.StatusSeeOther
			if i == 2 {
				want = http.StatusTooManyRequests
			}
			wantStatus(t, r, want)
			if i == 2 && r.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}
		n, _ := db.Bun().NewSelect().Table("reports").Count(context.Background())
		if n != 2 {
			t.Errorf("reports stored = %d, want 2", n)
		}
	})
}

// A filled honeypot on the idea or comment form looks accepted and stores
// nothing: no idea, no comment, no event, no count.
func TestHoneypotStoresNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		ta := newTestApp(t, db)
		cast := dbtest.People(t, db)
		idea := dbtest.PostIdea(t, db, cast.Ann, "Dark mode", "")
		bot := ta.client()
		bot.signInAs(cast.Bob)
		form := bot.get("/ideas/new")
		if b := wantStatus(t, form, http.StatusOK); !strings.Contains(b, `name="website"`) {
			t.Error("the idea form has no honeypot")
		}
		if b := wantStatus(t, bot.get(ideaPath(idea.ID, idea.Slug)), http.StatusOK); !strings.Contains(b, `name="website"`) {
			t.Error("the comment form has no honeypot")
		}
		r := bot.post("/ideas", url.Values{"title": {"Buy pills now"}, "board": {dbtest.DefaultBoard}, "website": {"http://spam.example"}})
		wantStatus(t, r, http.StatusSeeOther)
		r = bot.post(fmt.Sprintf("/ideas/%d/comments", idea.ID), url.Values{"body": {"Buy pills"}, "website": {"http://spam.example"}})
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != ideaPath(idea.ID, idea.Slug) {
			t.Errorf("honeypot comment answered to %q", loc)
		}
		ideas, _ := db.Bun().NewSelect().Table("ideas").Count(ctx)
		comments, _ := db.Bun().NewSelect().Table("comments").Count(ctx)
		events, _ := db.Bun().NewSelect().Table("events").Count(ctx)
		if ideas != 1 || comments != 0 || events != 1 || dbtest.Reload(t, db, idea.ID).CommentsCount != 0 {
			t.Errorf("after honeypot posts: %d ideas, %d comments, %d events; want 1, 0, 1", ideas, comments, events)
		}
		// The same forms without the honeypot work.
		wantStatus(t, bot.post(fmt.Sprintf("/ideas/%d/comments", idea.ID), url.Values{"body": {"Useful"}, "website": {""}}), http.StatusSeeOther)
		if got := dbtest.Reload(t, db, idea.ID).CommentsCount; got != 1 {
			t.Errorf("comments after a real one = %d, want 1", got)
		}
	})
}

// The audit log lists staff and admin actions exactly (who, what, target,
// summary), newest first, filtered by person and kind, a page at a time;
// it is for admins only.
func TestAuditLog(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		ta := newTestApp(t, db)
		cast := dbtest.People(t, db)
		idea := dbtest.PostIdea(t, db, cast.Ann, "Dark mode", "")
		admin, staff := ta.client(), ta.client()
		admin.signInAs(cast.Admin)
		staff.signInAs(cast.Staff)

		wantStatus(t, staff.post(fmt.Sprintf("/ideas/%d/status", idea.ID), url.Values{"status": {"planned"}}), http.StatusSeeOther)
		wantStatus(t, staff.post(fmt.Sprintf("/ideas/%d/hide", idea.ID), nil), http.StatusSeeOther)
		wantStatus(t, admin.post("/admin/users/role", url.Values{"email": {"bob@example.com"}, "role": {"staff"}}), http.StatusSeeOther)
		wantStatus(t, admin.post("/admin/users/block", url.Values{"email": {"ann@example.com"}}), http.StatusSeeOther)
		wantStatus(t, admin.post("/admin/users/unblock", url.Values{"email": {"ann@example.com"}}), http.StatusSeeOther)

		entries, next, err := models.AuditLog(ctx, db, models.AuditQuery{})
		if err != nil || next != 0 {
			t.Fatal(next, err)
		}
		var got []string
		for _, e := range entries {
			who := "nobody"
			if e.Actor != nil {
				who = e.Actor.Name
			}
			got = append(got, who+"|"+e.Kind+"|"+e.Target+"|"+e.Summary)
		}
		want := []string{
			"Ada Admin|user.unblocked|Account ann@example.com|Unblocked",
			"Ada Admin|user.blocked|Account ann@example.com|Blocked",
			"Ada Admin|user.role_changed|Account bob@example.com|Role member → staff",
			"Sam Staff|idea.hidden|Idea #1 “Dark mode”|Hidden",
			"Sam Staff|idea.status_changed|Idea #1 “Dark mode”|Status open → planned",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}

		// By person, by kind, and a page at a time.
		byStaff, _, _ := models.AuditLog(ctx, db, models.AuditQuery{ActorID: cast.Staff.ID})
		byKind, _, _ := models.AuditLog(ctx, db, models.AuditQuery{Kind: models.EventUserBlocked})
		page1, after, _ := models.AuditLog(ctx, db, models.AuditQuery{Limit: 2})
		page2, after2, _ := models.AuditLog(ctx, db, models.AuditQuery{Limit: 2, Before: after})
		page3, after3, _ := models.AuditLog(ctx, db, models.AuditQuery{Limit: 2, Before: after2})
		if len(byStaff) != 2 || len(byKind) != 1 || len(page1) != 2 || len(page2) != 2 || len(page3) != 1 || after3 != 0 ||
			page2[0].ID >= page1[1].ID || page3[0].ID >= page2[1].ID {
			t.Errorf("filters and pages: %d by staff, %d blocks, pages %d/%d/%d, last after %d", len(byStaff), len(byKind), len(page1), len(page2), len(page3), after3)
		}

		b := wantStatus(t, admin.get("/admin/audit"), http.StatusOK)
		for _, w := range []string{"Role member → staff", "Status open → planned", "Sam Staff", "Account ann@example.com"} {
			if !strings.Contains(b, w) {
				t.Errorf("/admin/audit lacks %q", w)
			}
		}
		b = wantStatus(t, admin.get(fmt.Sprintf("/admin/audit?actor=%d&kind=idea.hidden", cast.Staff.ID)), http.StatusOK)
		if strings.Contains(b, "Role member") || !strings.Contains(b, "Hidden") {
			t.Error("the filtered audit page shows the wrong rows")
		}
		// Pages link onward with after= as the keyset.
		ta2 := wantStatus(t, admin.get("/admin/audit?before="+fmt.Sprint(entries[1].ID)), http.StatusOK)
		if strings.Contains(ta2, "Unblocked") || strings.Contains(ta2, ">Blocked<") || !strings.Contains(ta2, "Role member → staff") {
			t.Error("?before= does not page")
		}
		wantStatus(t, staff.get("/admin/audit"), http.StatusForbidden)
		wantStatus(t, admin.get("/admin/audit?kind=nope"), http.StatusNotFound)
		wantStatus(t, admin.get("/admin/audit?actor=abc"), http.StatusNotFound)
	})
}

// Approving an idea tells its author: a notification, and a mail that
// names the idea and the staff member who approved it.
func TestApprovalNotifiesTheAuthor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		ta := newTestApp(t, db)
		cast := dbtest.People(t, db)
		setApproval(t, db, models.ApprovalAll)
		idea := dbtest.PostIdea(t, db, cast.Ann, "Offline mode", "")
		if _, err := models.ApproveIdea(ctx, db, idea.ID, cast.Staff); err != nil {
			t.Fatal(err)
		}
		evs := dbtest.Events(t, db, models.EventIdeaApproved, idea.ID)
		if len(evs) != 1 {
			t.Fatalf("approval events = %d, want 1", len(evs))
		}
		n, err := models.NotifyFollowers(ctx, db, evs[0].ID)
		if err != nil || n != 1 {
			t.Fatalf("notified %d (%v), want the author alone", n, err)
		}
		ann := ta.client()
		ann.signInAs(cast.Ann)
		if b := wantStatus(t, ann.get("/notifications"), http.StatusOK); !strings.Contains(b, "approved") || !strings.Contains(b, "Offline mode") {
			t.Errorf("the author's notifications lack the approval: %s", excerptOf(b))
		}
		m, err := models.MailFor(ctx, db, evs[0].ID, cast.Ann.ID)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := ta.notificationMessage(m)
		if err != nil {
			t.Fatal(err)
		}
		if msg.Subject != "“Offline mode” is published" || !strings.Contains(msg.Text, "Sam Staff approved “Offline mode”") {
			t.Errorf("mail %q:\n%s", msg.Subject, msg.Text)
		}
	})
}

// A comment that waits for approval is seen by its author (marked) and
// staff only: not on the idea page for others, not in its count, timeline
// or any feed, and nobody is told of it. Approving it shows and counts it
// and tells the followers; declining keeps it hidden.
func TestPendingCommentSeenByAuthorAndStaffOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		ta := newTestApp(t, db)
		cast := dbtest.People(t, db)
		idea := dbtest.PostIdea(t, db, cast.Ann, "Dark mode", "")
		setApproval(t, db, models.ApprovalAll)
		bob, ann, staff, visitor := ta.client(), ta.client(), ta.client(), ta.client()
		bob.signInAs(cast.Bob)
		ann.signInAs(cast.Ann)
		staff.signInAs(cast.Staff)
		page := ideaPath(idea.ID, idea.Slug)
		post := func(text string) int64 {
			t.Helper()
			wantStatus(t, bob.post(page[:strings.LastIndex(page, "/")]+"/comments", url.Values{"body": {text}}), http.StatusSeeOther)
			var c models.Comment
			if err := db.Bun().NewSelect().Model(&c).Where("body = ?", text).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if c.Moderation != models.ModerationPending || c.HiddenAt == nil {
				t.Fatalf("comment %q: moderation %q hidden %v", text, c.Moderation, c.HiddenAt)
			}
			return c.ID
		}
		first, second := post("Xylohidden first"), post("Xylohidden second")
		if got := dbtest.Reload(t, db, idea.ID).CommentsCount; got != 0 {
			t.Errorf("comments_count with two waiting = %d, want 0", got)
		}
		if n := len(dbtest.Events(t, db, models.EventCommented, idea.ID)); n != 0 {
			t.Errorf("comment events while waiting = %d, want 0", n)
		}
		feeds := []string{fmt.Sprintf("/ideas/%d/feed.atom", idea.ID), "/feeds/ideas.atom", "/boards/" + dbtest.DefaultBoard + "/feed.json"}
		for who, c := range map[string]*client{"visitor": visitor, "member": ann} {
			for _, p := range append([]string{page}, feeds...) {
				if b := strings.ToLower(wantStatus(t, c.get(p), http.StatusOK)); strings.Contains(b, markHidden) {
					t.Errorf("%s GET %s shows a waiting comment", who, p)
				}
			}
		}
		if b := wantStatus(t, bob.get(page), http.StatusOK); !strings.Contains(b, "Xylohidden first") || !strings.Contains(b, "waiting for approval") {
			t.Errorf("the author does not see the waiting comment: %s", excerptOf(b))
		}
		if b := wantStatus(t, staff.get("/admin/queue"), http.StatusOK); !strings.Contains(b, "Xylohidden second") || !strings.Contains(b, fmt.Sprintf("/comments/%d/approve", first)) {
			t.Errorf("the queue lacks the waiting comments: %s", excerptOf(b))
		}
		// Staff can decide from the idea page too.
		if b := wantStatus(t, staff.get(page), http.StatusOK); !strings.Contains(b, fmt.Sprintf(`action="/ideas/%d/comments/%d/decline"`, idea.ID, second)) {
			t.Error("the idea page offers staff no decision on the waiting comment")
		}

		wantStatus(t, ann.post(fmt.Sprintf("/ideas/%d/comments/%d/approve", idea.ID, first), nil), http.StatusForbidden)
		wantStatus(t, staff.post(fmt.Sprintf("/ideas/%d/comments/%d/approve", idea.ID, first), nil), http.StatusSeeOther)
		wantStatus(t, staff.post(fmt.Sprintf("/ideas/%d/comments/%d/decline", idea.ID, second), nil), http.StatusSeeOther)
		wantStatus(t, staff.post(fmt.Sprintf("/ideas/%d/comments/%d/approve", idea.ID, first), nil), http.StatusConflict)

		if got := dbtest.Reload(t, db, idea.ID).CommentsCount; got != 1 {
			t.Errorf("comments_count after one approval = %d, want 1", got)
		}
		b := strings.ToLower(wantStatus(t, visitor.get(page), http.StatusOK))
		if !strings.Contains(b, "xylohidden first") || strings.Contains(b, "xylohidden second") {
			t.Error("after the decisions the visitor should read the approved comment only")
		}
		if b := strings.ToLower(wantStatus(t, visitor.get(feeds[0]), http.StatusOK)); !strings.Contains(b, "xylohidden first") || strings.Contains(b, "xylohidden second") {
			t.Error("the idea's feed should carry the approved comment only")
		}
		evs := dbtest.Events(t, db, models.EventCommented, idea.ID)
		if len(evs) != 1 || evs[0].ActorID == nil || *evs[0].ActorID != cast.Bob.ID {
			t.Fatalf("comment events after approval: %+v", evs)
		}
		if n, err := models.NotifyFollowers(ctx, db, evs[0].ID); err != nil || n != 1 {
			t.Errorf("the approved comment notified %d (%v), want the idea's author", n, err)
		}
		for kind, want := range map[string]int{models.EventCommentApproved: 1, models.EventCommentDeclined: 1} {
			if n := len(dbtest.Events(t, db, kind, idea.ID)); n != want {
				t.Errorf("%s events = %d, want %d", kind, n, want)
			}
		}
	})
}
