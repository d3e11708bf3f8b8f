package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

func TestMergeTellsTheDuplicatesFollowersWhereItMoved(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta, box := mailApp(t, db)
		ann := dbtest.User(t, db, "Ann", "ann@example.com", models.RoleMember)
		bob := dbtest.User(t, db, "Bob", "bob@example.com", models.RoleMember)
		sam := dbtest.User(t, db, "Sam", "sam@example.com", models.RoleStaff)
		as := func(u *models.User) *client { c := ta.client(); c.signInAs(u); return c }
		orig := postedIdea(t, as(ann), "Export to CSV")
		dup := postedIdea(t, as(bob), "CSV export please")
		wantStatus(t, as(sam).post(fmt.Sprintf("/ideas/%d/merge", dup), url.Values{"into": {fmt.Sprint(orig)}}), http.StatusSeeOther)
		ta.runJobs()
		// Bob followed the duplicate: he hears where it went. Ann, who
		// follows the original, hears of the merge on her own idea's page,
		// not by mail.
		wantInbox(t, box, map[string]int{"bob@example.com": 1})
		m := mailTo(t, box, "bob@example.com")[0]
		if m.subject != "“CSV export please” was merged into “Export to CSV”" ||
			!strings.Contains(m.text, fmt.Sprintf("http://portal.test/ideas/%d/export-to-csv", orig)) {
			t.Errorf("merge mail %q:\n%s", m.subject, m.text)
		}
		// He now follows the original: its next status change reaches him.
		wantStatus(t, as(sam).post(fmt.Sprintf("/ideas/%d/status", orig), url.Values{"status": {"planned"}}), http.StatusSeeOther)
		ta.runJobs()
		wantInbox(t, box, map[string]int{"bob@example.com": 2, "ann@example.com": 1})
	})
}

func TestStaffDigestOfNewIdeas(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta, box := mailApp(t, db)
		ctx := context.Background()
		ann := dbtest.User(t, db, "Ann", "ann@example.com", models.RoleMember)
		sam := dbtest.User(t, db, "Sam", "sam@example.com", models.RoleStaff)
		dbtest.User(t, db, "Sid", "sid@example.com", models.RoleStaff) // no digest
		// Members cannot take the digest; staff choose it in settings.
		c := ta.client()
		c.signInAs(ann)
		wantStatus(t, c.post("/settings", url.Values{"notify_status": {"on"}, "notify_digest": {"on"}}), http.StatusSeeOther)
		s := ta.client()
		s.signInAs(sam)
		wantStatus(t, s.post("/settings", url.Values{"notify_status": {"on"}, "notify_comments": {"on"}, "notify_digest": {"on"}}), http.StatusSeeOther)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM users WHERE notify_digest"); n != 1 {
			t.Fatalf("%d people take the digest, want 1 (staff only)", n)
		}
		if page := wantStatus(t, c.get("/settings"), http.StatusOK); strings.Contains(page, `name="notify_digest"`) || !strings.Contains(page, `id="notify_comments" name="notify_comments" value="on">`) {
			t.Errorf("a member's settings page:\n%s", excerptOf(page))
		}

		// Ideas posted on the day before the digest's morning.
		day := dbtest.Fixed.Truncate(24 * time.Hour).Add(24 * time.Hour)
		postedIdea(t, c, "Keyboard shortcuts")
		postedIdea(t, c, "A darker dark mode")
		if err := ta.queue.schedule(ctx); err != nil {
			t.Fatal(err)
		}
		ta.runJobs() // not yet morning
		if len(box.messages()) != 0 {
			t.Fatalf("the digest went before its morning")
		}
		ta.clock.Advance(day.Add(8*time.Hour).Sub(ta.clock.T) + time.Minute)
		ta.runJobs()
		if err := ta.queue.schedule(ctx); err != nil { // a second instance schedules it too
			t.Fatal(err)
		}
		ta.runJobs()
		wantInbox(t, box, map[string]int{"sam@example.com": 1})
		m := mailTo(t, box, "sam@example.com")[0]
		if m.subject != "2 new ideas on portal.test" || !strings.Contains(m.text, "Keyboard shortcuts") || !strings.Contains(m.text, "A darker dark mode") ||
			m.header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
			t.Errorf("digest %q:\n%s", m.subject, m.text)
		}
		// Its one-click link stops the digest.
		link := unsubscribeRe.FindStringSubmatch(m.header.Get("List-Unsubscribe"))
		if link == nil {
			t.Fatalf("List-Unsubscribe = %q", m.header.Get("List-Unsubscribe"))
		}
		visitor := &client{ta: ta, cookies: map[string]string{}}
		wantStatus(t, visitor.postRaw(strings.TrimPrefix(link[1], "http://portal.test"), url.Values{"List-Unsubscribe": {"One-Click"}}), http.StatusOK)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM users WHERE notify_digest"); n != 0 {
			t.Errorf("%d people still take the digest", n)
		}
	})
}

func TestShutdownLetsTheDeliveryUnderWayFinish(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	ta, box := mailApp(t, db)
	ann := dbtest.User(t, db, "Ann", "ann@example.com", models.RoleMember)
	sam := dbtest.User(t, db, "Sam", "sam@example.com", models.RoleStaff)
	c := ta.client()
	c.signInAs(ann)
	id := postedIdea(t, c, "Webhooks")
	s := ta.client()
	s.signInAs(sam)
	arrived, release := box.holdMessages()
	wantStatus(t, s.post(fmt.Sprintf("/ideas/%d/status", id), url.Values{"status": {"planned"}}), http.StatusSeeOther)

	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ta.Serve(ctx, addr, 5*time.Second) }()
	select {
	case <-arrived:
	case <-time.After(20 * time.Second):
		t.Fatal("the mail never reached the server")
	}
	cancel() // as SIGTERM would
	// Wait until the server has stopped listening; the delivery is still
	// held, so Serve must not have returned.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		conn, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			break
		}
		conn.Close()
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) while a delivery was under way", err)
	default:
	}
	release()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if n := dbtest.Count(t, db, "SELECT count(*) FROM jobs WHERE kind = 'mail' AND state = 'done'"); n != 1 {
		t.Errorf("%d mail jobs done after shutdown, want 1", n)
	}
	// A restarted instance sends nothing again.
	ta.runJobs()
	wantInbox(t, box, map[string]int{"ann@example.com": 1})
}

func TestNotificationsPageInPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		ctx := context.Background()
		ann := dbtest.User(t, db, "Ann", "ann@example.com", models.RoleMember)
		sam := dbtest.User(t, db, "Sam", "sam@example.com", models.RoleStaff)
		idea, err := models.CreateIdea(ctx, db, models.NewIdea{Author: ann, Board: "feature-requests", Title: "Paged notifications"})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 35; i++ {
			if _, err := models.CreateComment(ctx, db, models.NewComment{IdeaID: idea.ID, Author: sam, Body: fmt.Sprintf("Update number %d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := ta.RunDueJobs(ctx); err != nil {
			t.Fatal(err)
		}
		c := ta.client()
		c.signInAs(ann)
		page := wantStatus(t, c.get("/notifications"), http.StatusOK)
		if n := strings.Count(page, `<li class="notification unread">`); n != 30 {
			t.Errorf("first page lists %d, want 30", n)
		}
		m := regexpAfter.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no next page link:\n%s", excerptOf(page))
		}
		page = wantStatus(t, c.get("/notifications?after="+m[1]), http.StatusOK)
		if n := strings.Count(page, `<li class="notification unread">`); n != 5 || strings.Contains(page, "after=") {
			t.Errorf("second page lists %d", n)
		}
		wantStatus(t, c.get("/notifications?after=01"), http.StatusBadRequest)
		// Signed out: sign in first.
		resp := ta.client().get("/notifications")
		wantStatus(t, resp, http.StatusSeeOther)
	})
}

var regexpAfter = regexp.MustCompile(`href="/notifications\?after=(\d+)"`)
