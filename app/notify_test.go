package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// mailApp is a test app that mails through a real SMTP server on loopback.
func mailApp(t *testing.T, db *models.DB) (*testApp, *mailbox) {
	t.Helper()
	box := startSMTP(t)
	ta := newTestAppWith(t, db, map[string]string{
		"BASE_URL":  "http://portal.test",
		"SMTP_URL":  "smtp://" + box.addr,
		"MAIL_FROM": "Portal <portal@example.com>",
	}, WithoutRateLimits())
	return ta, box
}

// runJobs works the queue until nothing is due.
func (ta *testApp) runJobs() {
	ta.t.Helper()
	if err := ta.RunDueJobs(context.Background()); err != nil {
		ta.t.Fatalf("run jobs: %v", err)
	}
}

// inbox counts messages by recipient.
func inbox(box *mailbox) map[string]int {
	n := map[string]int{}
	for _, m := range box.messages() {
		for _, to := range m.to {
			n[to]++
		}
	}
	return n
}

// mailTo returns the messages to one address, decoded.
func mailTo(t *testing.T, box *mailbox, addr string) []parsedMail {
	t.Helper()
	var out []parsedMail
	for _, m := range box.messages() {
		if len(m.to) == 1 && m.to[0] == addr {
			out = append(out, parseMail(t, m.data))
		}
	}
	return out
}

func wantInbox(t *testing.T, box *mailbox, want map[string]int) {
	t.Helper()
	got := inbox(box)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s got %d mails, want %d (all: %v)", k, got[k], v, got)
		}
	}
	total := 0
	for _, v := range want {
		total += v
	}
	if len(box.messages()) != total {
		t.Errorf("%d mails in all, want %d (%v)", len(box.messages()), total, got)
	}
}

var unsubscribeRe = regexp.MustCompile(`^<(http://portal\.test/unsubscribe/[A-Za-z0-9_.-]+)>$`)

// postedIdea posts an idea over HTTP as the client and returns its id.
func postedIdea(t *testing.T, c *client, title string) int64 {
	t.Helper()
	var id int64
	if loc := postIdea(t, c, title, "Please."); loc == "" {
		t.Fatal("posting an idea went nowhere")
	} else if _, err := fmt.Sscanf(loc, "/ideas/%d/", &id); err != nil {
		t.Fatalf("posted idea went to %q", loc)
	}
	return id
}

func TestNotificationsReachEveryFollowerOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta, box := mailApp(t, db)
		ann := dbtest.User(t, db, "Ann Author", "ann@example.com", models.RoleMember)
		bob := dbtest.User(t, db, "Bob Voter", "bob@example.com", models.RoleMember)
		cat := dbtest.User(t, db, "Cat Commenter", "cat@example.com", models.RoleMember)
		dan := dbtest.User(t, db, "Dan Unfollower", "dan@example.com", models.RoleMember)
		eve := dbtest.User(t, db, "Eve Blocked", "eve@example.com", models.RoleMember)
		sam := dbtest.User(t, db, "Sam Staff", "sam@example.com", models.RoleStaff)
		as := func(u *models.User) *client { c := ta.client(); c.signInAs(u); return c }

		id := postedIdea(t, as(ann), "Export reports as CSV")
		idea := fmt.Sprintf("/ideas/%d", id)
		wantStatus(t, as(bob).post(idea+"/vote", nil), http.StatusSeeOther)
		wantStatus(t, as(dan).post(idea+"/vote", nil), http.StatusSeeOther)
		wantStatus(t, as(dan).post(idea+"/unsubscribe", nil), http.StatusSeeOther)
		wantStatus(t, as(eve).post(idea+"/vote", nil), http.StatusSeeOther)
		if _, err := models.BlockUser(context.Background(), db, "eve@example.com"); err != nil {
			t.Fatal(err)
		}
		// Dan voting again does not make him follow again.
		wantStatus(t, as(dan).post(idea+"/unvote", nil), http.StatusSeeOther)
		wantStatus(t, as(dan).post(idea+"/vote", nil), http.StatusSeeOther)

		wantStatus(t, as(cat).post(idea+"/comments", url.Values{"body": {"We need this for **month-end**."}}), http.StatusSeeOther)
		ta.runJobs()
		// The comment goes to the author and the voter, not its author.
		wantInbox(t, box, map[string]int{"ann@example.com": 1, "bob@example.com": 1})

		wantStatus(t, as(sam).post(idea+"/status", url.Values{"status": {"planned"}, "response": {"Planned for **June**."}}), http.StatusSeeOther)
		ta.runJobs()
		ta.runJobs() // nothing more to do: each mail went once
		wantInbox(t, box, map[string]int{"ann@example.com": 2, "bob@example.com": 2, "cat@example.com": 1})

		// The status mail: subject names the idea, both parts, the link, the
		// quoted response and RFC 8058 one-click unsubscribe.
		var status parsedMail
		for _, m := range mailTo(t, box, "bob@example.com") {
			if strings.Contains(m.subject, "Planned") {
				status = m
			}
		}
		if status.subject != "“Export reports as CSV” is now Planned" {
			t.Fatalf("status mail subject %q", status.subject)
		}
		ideaURL := fmt.Sprintf("http://portal.test/ideas/%d/export-reports-as-csv", id)
		if !strings.Contains(status.text, ideaURL) || !strings.Contains(status.text, "Planned for June.") || !strings.Contains(status.text, "Sam Staff") {
			t.Errorf("text part:\n%s", status.text)
		}
		if !strings.Contains(status.html, `href="`+ideaURL+`"`) || !strings.Contains(status.html, "<strong>June</strong>") {
			t.Errorf("html part:\n%s", status.html)
		}
		if got := status.header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
			t.Errorf("List-Unsubscribe-Post = %q", got)
		}
		m := unsubscribeRe.FindStringSubmatch(status.header.Get("List-Unsubscribe"))
		if m == nil {
			t.Fatalf("List-Unsubscribe = %q", status.header.Get("List-Unsubscribe"))
		}
		unsub := strings.TrimPrefix(m[1], "http://portal.test")

		// The comment mail quotes the comment and links to it.
		comment := mailTo(t, box, "ann@example.com")[0]
		if comment.subject != "Cat Commenter commented on “Export reports as CSV”" || !strings.Contains(comment.text, "We need this for month-end.") ||
			!strings.Contains(comment.text, ideaURL+"#comment-") {
			t.Errorf("comment mail %q:\n%s", comment.subject, comment.text)
		}

		// A forged or altered link changes nothing.
		visitor := &client{ta: ta, cookies: map[string]string{}}
		wantStatus(t, visitor.postRaw(unsub+"x", url.Values{"List-Unsubscribe": {"One-Click"}}), http.StatusNotFound)
		wantStatus(t, visitor.postRaw(strings.Replace(unsub, fmt.Sprint(bob.ID)+".", fmt.Sprint(ann.ID)+".", 1), url.Values{"List-Unsubscribe": {"One-Click"}}), http.StatusNotFound)
		// GET only asks; a POST with no cookie and no token stops the mail.
		page := wantStatus(t, visitor.get(unsub), http.StatusOK)
		if !strings.Contains(page, `<form method="post" action="`+unsub+`">`) {
			t.Errorf("the unsubscribe page has no confirming form:\n%s", excerptOf(page))
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM subscriptions WHERE user_id = ? AND unfollowed_at IS NULL", bob.ID); n != 1 {
			t.Fatalf("bob follows %d ideas before unsubscribing", n)
		}
		resp := visitor.postRaw(unsub, url.Values{"List-Unsubscribe": {"One-Click"}})
		if got := wantStatus(t, resp, http.StatusOK); !strings.Contains(got, "unsubscribed") {
			t.Errorf("unsubscribe answered:\n%s", excerptOf(got))
		}
		if len(resp.Cookies()) != 0 {
			t.Errorf("unsubscribing set cookies %v", resp.Cookies())
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM subscriptions WHERE user_id = ? AND unfollowed_at IS NULL", bob.ID); n != 0 {
			t.Errorf("bob still follows %d ideas", n)
		}

		// The next comment reaches the author and the commenter, not Bob.
		wantStatus(t, as(sam).post(idea+"/comments", url.Values{"body": {"Design is done."}}), http.StatusSeeOther)
		ta.runJobs()
		wantInbox(t, box, map[string]int{"ann@example.com": 3, "bob@example.com": 2, "cat@example.com": 2})

		// In the portal: Ann has three unread notifications, newest first.
		c := as(ann)
		page = wantStatus(t, c.get("/notifications"), http.StatusOK)
		if !strings.Contains(page, "(</span>3<span") {
			t.Errorf("header does not show 3 unread:\n%s", excerptOf(page))
		}
		first := strings.Index(page, "Sam Staff</strong> commented on")
		second := strings.Index(page, "Sam Staff</strong> set the status to Planned on")
		if first < 0 || second < first {
			t.Errorf("notifications not listed newest first:\n%s", excerptOf(page))
		}
		wantStatus(t, c.post("/notifications/read", nil), http.StatusSeeOther)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM notifications WHERE user_id = ? AND read_at IS NULL", ann.ID); n != 0 {
			t.Errorf("%d unread after marking all read", n)
		}
		// Dan and Eve were never notified; Sam never followed.
		for _, u := range []*models.User{dan, eve, sam} {
			if n := dbtest.Count(t, db, "SELECT count(*) FROM notifications WHERE user_id = ?", u.ID); n != 0 {
				t.Errorf("%s has %d notifications", u.Name, n)
			}
		}
	})
}

func TestNotificationsRespectVisibilityAndChoices(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta, box := mailApp(t, db)
		ctx := context.Background()
		ann := dbtest.User(t, db, "Ann", "ann@example.com", models.RoleMember)
		bob := dbtest.User(t, db, "Bob", "bob@example.com", models.RoleMember)
		sam := dbtest.User(t, db, "Sam", "sam@example.com", models.RoleStaff)
		ada := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleAdmin)
		as := func(u *models.User) *client { c := ta.client(); c.signInAs(u); return c }

		// Bob wants no comment mail; a comment reaches Ann only, and Bob
		// still sees it in the portal.
		if err := models.SetNotifyPrefs(ctx, db, bob, models.NotifyPrefs{Status: true}); err != nil {
			t.Fatal(err)
		}
		id := postedIdea(t, as(ann), "Offline mode")
		idea := fmt.Sprintf("/ideas/%d", id)
		wantStatus(t, as(bob).post(idea+"/vote", nil), http.StatusSeeOther)
		wantStatus(t, as(sam).post(idea+"/subscribe", nil), http.StatusSeeOther)
		wantStatus(t, as(ada).post(idea+"/comments", url.Values{"body": {"Noted."}}), http.StatusSeeOther)
		ta.runJobs()
		wantInbox(t, box, map[string]int{"ann@example.com": 1, "sam@example.com": 1})
		if n := dbtest.Count(t, db, "SELECT count(*) FROM notifications WHERE user_id = ?", bob.ID); n != 1 {
			t.Errorf("bob has %d notifications, want 1", n)
		}

		// Hidden: members hear nothing, staff still do.
		wantStatus(t, as(ada).post(idea+"/hide", nil), http.StatusSeeOther)
		wantStatus(t, as(ada).post(idea+"/status", url.Values{"status": {"declined"}, "response": {"Spam."}}), http.StatusSeeOther)
		ta.runJobs()
		wantInbox(t, box, map[string]int{"ann@example.com": 1, "sam@example.com": 2})

		// Private board: the same.
		wantStatus(t, as(ada).post(idea+"/unhide", nil), http.StatusSeeOther)
		if _, err := db.Bun().NewUpdate().Table("boards").Set("is_private = TRUE").Where("slug = ?", "feature-requests").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, as(ada).post(idea+"/status", url.Values{"status": {"planned"}, "response": {"Internal only now."}}), http.StatusSeeOther)
		ta.runJobs()
		wantInbox(t, box, map[string]int{"ann@example.com": 1, "sam@example.com": 3})

		// A mail already queued is not sent when its idea becomes private
		// before it goes.
		if _, err := db.Bun().NewUpdate().Table("boards").Set("is_private = FALSE").Where("slug = ?", "feature-requests").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, as(sam).post(idea+"/comments", url.Values{"body": {"Public again."}}), http.StatusSeeOther)
		jobs, err := models.ClaimJobs(ctx, db, 10, time.Second)
		if err != nil || len(jobs) != 1 {
			t.Fatalf("claimed %d jobs: %v", len(jobs), err)
		}
		ta.queue.work(ctx, &jobs[0]) // the fan-out: a mail job for Ann
		if _, err := db.Bun().NewUpdate().Table("boards").Set("is_private = TRUE").Where("slug = ?", "feature-requests").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		ta.runJobs()
		// Ann's mail is not sent; Ada, staff, who follows since she
		// commented, still gets hers.
		wantInbox(t, box, map[string]int{"ann@example.com": 1, "sam@example.com": 3, "ada@example.com": 1})
	})
}

func TestMailRetriesAfterATemporaryRefusal(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta, box := mailApp(t, db)
		ctx := context.Background()
		ann := dbtest.User(t, db, "Ann", "ann@example.com", models.RoleMember)
		sam := dbtest.User(t, db, "Sam", "sam@example.com", models.RoleStaff)
		c := ta.client()
		c.signInAs(ann)
		id := postedIdea(t, c, "Calendar sync")
		box.refuseNext(2)

		staff := ta.client()
		staff.signInAs(sam)
		wantStatus(t, staff.post(fmt.Sprintf("/ideas/%d/status", id), url.Values{"status": {"under_review"}}), http.StatusSeeOther)
		ta.runJobs()
		if len(box.messages()) != 0 || box.attempts != 1 {
			t.Fatalf("after a 451: %d delivered, %d attempts", len(box.messages()), box.attempts)
		}
		// The retry is due within about ten seconds, not at once.
		ta.clock.Advance(2 * time.Second)
		ta.runJobs()
		if box.attempts != 1 {
			t.Fatalf("retried after 2s (%d attempts)", box.attempts)
		}
		ta.clock.Advance(8 * time.Second)
		ta.runJobs()
		if box.attempts != 2 || len(box.messages()) != 0 {
			t.Fatalf("second attempt: %d attempts, %d delivered", box.attempts, len(box.messages()))
		}
		ta.clock.Advance(15 * time.Second)
		ta.runJobs()
		wantInbox(t, box, map[string]int{"ann@example.com": 1})
		var job models.Job
		if err := db.Bun().NewSelect().Model(&job).Where("kind = ?", models.JobMail).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if job.State != models.JobDone || job.Attempts != 3 {
			t.Errorf("mail job %s after %d attempts, want done after 3", job.State, job.Attempts)
		}
	})
}

func TestMailRefusedForGoodIsShownToAdmins(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta, box := mailApp(t, db)
		ann := dbtest.User(t, db, "Ann", "ann@example.com", models.RoleMember)
		ada := dbtest.User(t, db, "Ada", "ada@example.com", models.RoleAdmin)
		c := ta.client()
		c.signInAs(ann)
		id := postedIdea(t, c, "Bulk edit")
		box.rejectRecipient("ann@example.com")
		admin := ta.client()
		admin.signInAs(ada)
		wantStatus(t, admin.post(fmt.Sprintf("/ideas/%d/status", id), url.Values{"status": {"planned"}}), http.StatusSeeOther)
		ta.runJobs()
		ta.clock.Advance(time.Hour)
		ta.runJobs()
		if n := dbtest.Count(t, db, "SELECT count(*) FROM jobs WHERE kind = 'mail' AND state = 'failed' AND attempts = 1"); n != 1 {
			t.Fatalf("%d failed mail jobs after one attempt, want 1", n)
		}
		page := wantStatus(t, admin.get("/admin/deliveries"), http.StatusOK)
		if !strings.Contains(page, "ann@example.com") || !strings.Contains(page, "550") {
			t.Fatalf("deliveries page:\n%s", excerptOf(page))
		}
		// Members may not look.
		wantStatus(t, c.get("/admin/deliveries"), http.StatusForbidden)

		var jobID int64
		if err := db.Bun().QueryRow("SELECT id FROM jobs WHERE state = 'failed'").Scan(&jobID); err != nil {
			t.Fatal(err)
		}
		box.mu.Lock()
		box.rejected = nil
		box.mu.Unlock()
		wantStatus(t, admin.post(fmt.Sprintf("/admin/deliveries/%d/retry", jobID), nil), http.StatusSeeOther)
		ta.runJobs()
		wantInbox(t, box, map[string]int{"ann@example.com": 1})
	})
}

func TestQueueSurvivesAWorkerThatDies(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta, box := mailApp(t, db)
		ctx := context.Background()
		ann := dbtest.User(t, db, "Ann", "ann@example.com", models.RoleMember)
		sam := dbtest.User(t, db, "Sam", "sam@example.com", models.RoleStaff)
		c := ta.client()
		c.signInAs(ann)
		id := postedIdea(t, c, "Dark mode")
		staff := ta.client()
		staff.signInAs(sam)
		wantStatus(t, staff.post(fmt.Sprintf("/ideas/%d/status", id), url.Values{"status": {"planned"}}), http.StatusSeeOther)
		lease := ta.queue.cfg.Lease

		// A worker claims the fan-out and dies before doing it: nothing is
		// done until its lease runs out, then another worker does it.
		dead, err := models.ClaimJobs(ctx, db, 10, lease)
		if err != nil || len(dead) != 1 || dead[0].Kind != models.JobNotify {
			t.Fatalf("claimed %+v, %v", dead, err)
		}
		ta.runJobs()
		if n := dbtest.Count(t, db, "SELECT count(*) FROM jobs WHERE kind = 'mail'"); n != 0 {
			t.Fatalf("%d mail jobs while the fan-out is claimed", n)
		}
		ta.clock.Advance(lease + time.Second)
		ta.runJobs()
		wantInbox(t, box, map[string]int{"ann@example.com": 1})
		// The dead worker, come back, cannot record over the later attempt.
		if ok, err := models.FinishJob(ctx, db, &dead[0]); err != nil || ok {
			t.Errorf("stale finish recorded: %v %v", ok, err)
		}

		// A worker sends a mail and dies before recording it: the mail goes
		// again when the lease runs out, once more and no more.
		wantStatus(t, staff.post(fmt.Sprintf("/ideas/%d/status", id), url.Values{"status": {"in_progress"}}), http.StatusSeeOther)
		fanout, err := models.ClaimJobs(ctx, db, 10, lease)
		if err != nil || len(fanout) != 1 {
			t.Fatalf("claimed %d: %v", len(fanout), err)
		}
		ta.queue.work(ctx, &fanout[0])
		mails, err := models.ClaimJobs(ctx, db, 10, lease)
		if err != nil || len(mails) != 1 || mails[0].Kind != models.JobMail {
			t.Fatalf("claimed %+v: %v", mails, err)
		}
		if err := ta.queue.handlers[models.JobMail](ctx, &mails[0]); err != nil {
			t.Fatal(err)
		}
		wantInbox(t, box, map[string]int{"ann@example.com": 2})
		ta.runJobs()
		wantInbox(t, box, map[string]int{"ann@example.com": 2})
		ta.clock.Advance(lease + time.Second)
		ta.runJobs()
		ta.runJobs()
		wantInbox(t, box, map[string]int{"ann@example.com": 3})
	})
}

func TestTwoInstancesSendEachMailOnce(t *testing.T) {
	url := dbtest.URL(t, "postgres")
	box := startSMTP(t)
	open := func() *models.DB {
		db, err := models.Open(context.Background(), url, 10*time.Second, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
	first, second := open(), open()
	if err := models.Migrate(context.Background(), first, quietLog()); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"BASE_URL": "http://portal.test", "SMTP_URL": "smtp://" + box.addr, "MAIL_FROM": "portal@example.com"}
	fast := WithQueue(QueueConfig{Poll: 10 * time.Millisecond, Workers: 4})
	apps := []*App{newInstance(t, first, env, fast), newInstance(t, second, env, fast)}

	const ideas, followers = 20, 5
	staff := dbtest.User(t, first, "Sam", "sam@example.com", models.RoleStaff)
	var people []*models.User
	for i := 0; i < followers; i++ {
		people = append(people, dbtest.User(t, first, fmt.Sprintf("P%d", i), fmt.Sprintf("p%d@example.com", i), models.RoleMember))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, len(apps))
	for _, a := range apps {
		go func(a *App) { a.queue.run(ctx); done <- struct{}{} }(a)
	}
	for i := 0; i < ideas; i++ {
		idea, err := models.CreateIdea(ctx, first, models.NewIdea{Author: people[0], Title: fmt.Sprintf("Idea number %d", i), Board: "feature-requests"})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range people[1:] {
			if _, err := models.VoteFor(ctx, second, idea.ID, p.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := models.ChangeStatus(ctx, first, idea.ID, staff, "planned", "Soon."); err != nil {
			t.Fatal(err)
		}
	}
	want := ideas * followers
	deadline := time.Now().Add(30 * time.Second)
	for len(box.messages()) < want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	// Let any duplicate that was going to happen arrive too.
	for i := 0; i < 10 && dbtest.Count(t, first, "SELECT count(*) FROM jobs WHERE state = 'ready'") > 0; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	for range apps {
		<-done
	}
	seen := map[string]int{}
	for _, m := range box.messages() {
		seen[m.to[0]+" "+parseMail(t, m.data).subject]++
	}
	var dups []string
	for k, n := range seen {
		if n != 1 {
			dups = append(dups, fmt.Sprintf("%s ×%d", k, n))
		}
	}
	sort.Strings(dups)
	if len(box.messages()) != want || len(dups) != 0 {
		t.Fatalf("%d mails, want %d; duplicates: %v", len(box.messages()), want, dups)
	}
}

// newInstance is one portal instance on a database, with the real clock,
// as a second server would run it.
func newInstance(t *testing.T, db *models.DB, env map[string]string, opts ...Option) *App {
	t.Helper()
	cfg, err := LoadConfig(env)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(context.Background(), cfg, db, quietLog(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }
