package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// Drills run the real, built binary and do to it what production will: kill
// it mid-storm, stop it with SIGTERM, crowd its SQLite file with writers.

var builtBinary struct {
	once sync.Once
	path string
	err  error
}

// cluetrainBinary builds the command once per test process.
func cluetrainBinary(t *testing.T) string {
	t.Helper()
	builtBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "cluetrain-drill-")
		if err != nil {
			builtBinary.err = err
			return
		}
		builtBinary.path = filepath.Join(dir, "cluetrain")
		out, err := exec.Command("go", "build", "-o", builtBinary.path, "..").CombinedOutput()
		if err != nil {
			builtBinary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if builtBinary.err != nil {
		t.Fatal(builtBinary.err)
	}
	return builtBinary.path
}

// process is a running cluetrain serve.
type process struct {
	cmd    *exec.Cmd
	url    string
	output *bytes.Buffer
	done   chan error
}

// startProcess runs the binary on a free port over the database and waits
// until it answers.
func startProcess(t *testing.T, databaseURL string, env ...string) *process {
	t.Helper()
	port := freePort(t)
	p := &process{url: fmt.Sprintf("http://127.0.0.1:%d", port), output: &bytes.Buffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(cluetrainBinary(t), "serve", "--drain", "20s")
	p.cmd.Env = append(os.Environ(),
		"DATABASE_URL="+databaseURL,
		fmt.Sprintf("PORT=%d", port),
		"BASE_URL="+p.url,
		"LOG_LEVEL=warn",
	)
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stdout = &lockedWriter{w: p.output}
	p.cmd.Stderr = p.cmd.Stdout
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	hc := &http.Client{Timeout: 2 * time.Second}
	waitUntil(t, 30*time.Second, "the process to answer", func() bool {
		resp, err := hc.Get(p.url + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

// drillPortal is a migrated database with people signed in and ideas to
// vote on, written before any process serves it.
type drillPortal struct {
	db     *models.DB
	url    string
	ideas  []*models.Idea
	voters []drillVoter
}

type drillVoter struct {
	user    *models.User
	session string
	csrf    string
}

func newDrillPortal(t *testing.T, dialect string, voters, ideas int) *drillPortal {
	t.Helper()
	ctx := context.Background()
	u := dbtest.URL(t, dialect)
	db, err := models.Open(ctx, u, 10*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := models.Migrate(ctx, db, nil); err != nil {
		t.Fatal(err)
	}
	key, err := models.SecretKey(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	signer := &App{secret: key}
	p := &drillPortal{db: db, url: u}
	author := dbtest.User(t, db, "Author", "author@example.com", models.RoleMember)
	for i := range ideas {
		p.ideas = append(p.ideas, dbtest.Idea(t, db, dbtest.IdeaSpec{Author: author, Title: fmt.Sprintf("Drill idea %d", i+1)}))
	}
	for i := range voters {
		user := dbtest.User(t, db, fmt.Sprintf("Voter %d", i+1), fmt.Sprintf("voter%d@example.com", i+1), models.RoleMember)
		sid := storeSession(t, db, user)
		p.voters = append(p.voters, drillVoter{user: user, session: sid, csrf: signer.csrfFor(sid, "")})
	}
	return p
}

// vote asks the process to record the voter's vote, as the page's script
// does, and reports the status and whether the answer acknowledged it.
func (v drillVoter) vote(hc *http.Client, base string, ideaID int64) (int, http.Header, bool, error) {
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/ideas/%d/vote", base, ideaID), nil)
	if err != nil {
		return 0, nil, false, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set(csrfHeader, v.csrf)
	req.AddCookie(&http.Cookie{Name: "cluetrain_session", Value: v.session})
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, false, err
	}
	defer resp.Body.Close()
	var out struct {
		Voted bool `json:"voted"`
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, resp.Header, false, err
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &out); err != nil {
			return resp.StatusCode, resp.Header, false, fmt.Errorf("vote answer %q: %w", b, err)
		}
	}
	return resp.StatusCode, resp.Header, resp.StatusCode == http.StatusOK && out.Voted, nil
}

// countersEqualRows fails the test unless every idea's votes_count is its
// number of vote rows.
func countersEqualRows(t *testing.T, db *models.DB) {
	t.Helper()
	if n := dbtest.Count(t, db, "SELECT count(*) FROM ideas i WHERE i.votes_count <> (SELECT count(*) FROM votes v WHERE v.idea_id = i.id)"); n != 0 {
		t.Errorf("%d ideas whose votes_count is not their number of votes", n)
	}
}

// kill -9 in the middle of a vote storm: every vote a client was told
// about is there after the restart, and counters equal rows.
func TestDrillKillDuringVoteStormLosesNoAcknowledgedVote(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			portal := newDrillPortal(t, dialect, 16, 40)
			proc := startProcess(t, portal.url)

			type ack struct{ user, idea int64 }
			var (
				mu       sync.Mutex
				acks     []ack
				bad      []string
				acked    atomic.Int64
				killed   atomic.Bool
				storming sync.WaitGroup
			)
			for _, v := range portal.voters {
				storming.Add(1)
				go func() {
					defer storming.Done()
					hc := &http.Client{Timeout: 30 * time.Second}
					for _, idea := range portal.ideas {
						status, header, ok, err := v.vote(hc, proc.url, idea.ID)
						if err != nil {
							if !killed.Load() {
								mu.Lock()
								bad = append(bad, err.Error())
								mu.Unlock()
							}
							return
						}
						switch {
						case ok:
							mu.Lock()
							acks = append(acks, ack{v.user.ID, idea.ID})
							mu.Unlock()
							acked.Add(1)
						case status == http.StatusServiceUnavailable && header.Get("Retry-After") != "":
						default:
							mu.Lock()
							bad = append(bad, fmt.Sprintf("vote answered %d", status))
							mu.Unlock()
						}
					}
				}()
			}
			waitUntil(t, 60*time.Second, "a third of the votes to be acknowledged", func() bool {
				return acked.Load() >= int64(len(portal.voters)*len(portal.ideas)/3)
			})
			killed.Store(true)
			if err := proc.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-proc.done
			proc.done <- nil // for the cleanup
			storming.Wait()
			if len(bad) > 0 {
				t.Fatalf("before the kill: %d bad answers, first %q", len(bad), bad[0])
			}

			// Restarted, the portal has every acknowledged vote.
			again := startProcess(t, portal.url)
			for _, a := range acks {
				if n := dbtest.Count(t, portal.db, "SELECT count(*) FROM votes WHERE user_id = ? AND idea_id = ?", a.user, a.idea); n != 1 {
					t.Fatalf("acknowledged vote of user %d for idea %d: %d rows", a.user, a.idea, n)
				}
			}
			countersEqualRows(t, portal.db)
			t.Logf("%d votes acknowledged before the kill, %d stored", len(acks), dbtest.Count(t, portal.db, "SELECT count(*) FROM votes"))
			// And it takes votes again.
			hc := &http.Client{Timeout: 10 * time.Second}
			last := portal.ideas[len(portal.ideas)-1]
			if status, _, _, err := portal.voters[0].vote(hc, again.url, last.ID); err != nil || status != http.StatusOK {
				t.Fatalf("vote after restart: %d %v", status, err)
			}
		})
	}
}

// SIGTERM stops taking connections but finishes the request under way: a
// vote waiting for the database when the signal comes is answered and
// stored, and the process exits 0.
func TestDrillSIGTERMDrainsTheRequestUnderWay(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	portal := newDrillPortal(t, "sqlite", 1, 1)
	proc := startProcess(t, portal.url)
	v, idea := portal.voters[0], portal.ideas[0]
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 2 * time.Second}

	// Hold SQLite's write lock, so the vote waits inside its handler.
	ctx := context.Background()
	lock, err := portal.db.Bun().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		status int
		voted  bool
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		status, _, voted, err := v.vote(&http.Client{Timeout: 30 * time.Second}, proc.url, idea.ID)
		answered <- answer{status, voted, err}
	}()
	waitUntil(t, 10*time.Second, "the vote to be under way", func() bool {
		resp, err := hc.Get(proc.url + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		// This request and the vote.
		return strings.Contains(string(b), "\ncluetrain_http_requests_in_flight 2\n")
	})

	if err := proc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "the process to stop taking connections", func() bool {
		resp, err := hc.Get(proc.url + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err != nil
	})
	select {
	case a := <-answered:
		t.Fatalf("the vote was answered (%+v) while the database was locked", a)
	default:
	}
	if _, err := lock.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if a := <-answered; a.err != nil || a.status != http.StatusOK || !a.voted {
		t.Fatalf("the request under way: %+v\n%s", a, proc.output)
	}
	select {
	case err := <-proc.done:
		proc.done <- err
		if err != nil {
			t.Fatalf("the process exited with %v\n%s", err, proc.output)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the process did not exit after draining")
	}
	if n := dbtest.Count(t, portal.db, "SELECT count(*) FROM votes WHERE idea_id = ?", idea.ID); n != 1 {
		t.Fatalf("%d votes stored, want 1", n)
	}
	countersEqualRows(t, portal.db)
}

// SIGTERM lets the queue finish the delivery under way: a webhook whose
// endpoint is still answering when the signal comes is delivered once,
// logged and marked done before the process exits 0, so no instance sends
// it again.
func TestDrillSIGTERMLetsTheDeliveryUnderWayFinish(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	portal := newDrillPortal(t, "sqlite", 1, 1)
	ctx := context.Background()
	arrived, release := make(chan struct{}, 10), make(chan struct{})
	var deliveries atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		deliveries.Add(1)
		arrived <- struct{}{}
		<-release
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()
	var released sync.Once
	let := func() { released.Do(func() { close(release) }) }
	defer let() // before the receiver closes, however the test ends
	admin := dbtest.User(t, portal.db, "Admin", "admin@example.com", models.RoleAdmin)
	hook, err := models.CreateWebhook(ctx, portal.db, models.NewWebhook{URL: receiver.URL + "/hook", Events: []string{models.HookVoteCreated}, Actor: admin})
	if err != nil {
		t.Fatal(err)
	}
	proc := startProcess(t, portal.url, "WEBHOOK_ALLOW_NETWORKS=127.0.0.0/8")
	// No connection is left open, so only the delivery keeps the process.
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	if status, _, voted, err := portal.voters[0].vote(hc, proc.url, portal.ideas[0].ID); err != nil || status != http.StatusOK || !voted {
		t.Fatalf("vote: %d %v %v", status, voted, err)
	}
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		t.Fatalf("the delivery never came\n%s", proc.output)
	}

	if err := proc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The server stops taking connections, and has none to drain, while
	// the delivery holds on: the process stays until it ends (two seconds
	// is ample for one that did not wait to go).
	waitUntil(t, 10*time.Second, "the process to stop taking connections", func() bool {
		resp, err := hc.Get(proc.url + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err != nil
	})
	select {
	case err := <-proc.done:
		t.Fatalf("the process exited (%v) with a delivery under way\n%s", err, proc.output)
	case <-time.After(2 * time.Second):
	}
	// Claimed: its first attempt counted, its lease running.
	if n := dbtest.Count(t, portal.db, "SELECT count(*) FROM jobs WHERE kind = ? AND state = 'ready' AND attempts = 1", models.JobWebhook); n != 1 {
		t.Fatalf("%d deliveries under way, want 1", n)
	}
	let()
	select {
	case err := <-proc.done:
		proc.done <- err
		if err != nil {
			t.Fatalf("the process exited with %v\n%s", err, proc.output)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the process did not exit after the delivery\n%s", proc.output)
	}
	if n := deliveries.Load(); n != 1 {
		t.Fatalf("%d deliveries, want 1", n)
	}
	if n := dbtest.Count(t, portal.db, "SELECT count(*) FROM jobs WHERE kind = ? AND state = 'done' AND finished_at IS NOT NULL", models.JobWebhook); n != 1 {
		t.Fatalf("%d deliveries done, want 1", n)
	}
	if n := dbtest.Count(t, portal.db, "SELECT count(*) FROM jobs WHERE state <> 'done' AND kind = ?", models.JobWebhook); n != 0 {
		t.Fatalf("%d deliveries left to do", n)
	}
	if n := dbtest.Count(t, portal.db, "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = ? AND status = 204", hook.ID); n != 1 {
		t.Fatalf("%d deliveries logged as answered 204, want 1", n)
	}
}

// Many connections writing to one SQLite file at once: each write either
// succeeds or is answered 503 with Retry-After, never 500, and the
// counters stay exact.
func TestDrillSQLiteWriteStormNeverAnswers500(t *testing.T) {
	if testing.Short() {
		t.Skip("a storm")
	}
	portal := newDrillPortal(t, "sqlite", 32, 12)
	ta := newTestApp(t, portal.db)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = ta.fiber.Listener(ln) }()
	t.Cleanup(func() { _ = ta.fiber.Shutdown() })
	base := "http://" + ln.Addr().String()

	var (
		mu     sync.Mutex
		counts = map[int]int{}
		bad    []string
		wg     sync.WaitGroup
	)
	record := func(status int, header http.Header, err error) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			bad = append(bad, err.Error())
		case status == http.StatusServiceUnavailable && header.Get("Retry-After") == "":
			bad = append(bad, "503 without Retry-After")
		case status != http.StatusOK && status != http.StatusSeeOther && status != http.StatusServiceUnavailable:
			bad = append(bad, fmt.Sprintf("answered %d", status))
		}
		counts[status]++
	}
	for _, v := range portal.voters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &http.Client{Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			for i, idea := range portal.ideas {
				status, header, _, err := v.vote(hc, base, idea.ID)
				record(status, header, err)
				// A comment too: a longer transaction beside the votes.
				req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/ideas/%d/comments", base, idea.ID),
					strings.NewReader(fmt.Sprintf("_csrf=%s&body=Storm+comment+%d", v.csrf, i)))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.AddCookie(&http.Cookie{Name: "cluetrain_session", Value: v.session})
				resp, err := hc.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					record(resp.StatusCode, resp.Header, nil)
				} else {
					record(0, nil, err)
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("answers by status: %v", counts)
	if len(bad) > 0 {
		t.Fatalf("%d bad answers, first %q", len(bad), bad[0])
	}
	countersEqualRows(t, portal.db)
	if n := dbtest.Count(t, portal.db, "SELECT count(*) FROM ideas i WHERE i.comments_count <> (SELECT count(*) FROM comments c WHERE c.idea_id = i.id)"); n != 0 {
		t.Errorf("%d ideas whose comments_count is not their number of comments", n)
	}
	// Votes answer 200 and comments 303: every acknowledged vote is
	// stored, and nothing else.
	if got := dbtest.Count(t, portal.db, "SELECT count(*) FROM votes"); got != counts[http.StatusOK] {
		t.Errorf("%d votes stored, %d acknowledged", got, counts[http.StatusOK])
	}
}

// A writer that cannot get SQLite's write lock within the busy timeout
// (another process holds it) is answered 503 with Retry-After, never 500,
// and nothing of its change is stored; once the lock is free, the same
// request succeeds. It waits out the whole busy timeout (10 s).
func TestDrillSQLiteLockedWriterGets503(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the busy timeout")
	}
	db := dbtest.Open(t, "sqlite")
	ta := newTestApp(t, db)
	cast := dbtest.People(t, db)
	idea := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: cast.Ann, Title: "Locked out"})
	voter := ta.client()
	voter.signInAs(cast.Bob)

	ctx := context.Background()
	lock, err := db.Bun().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/ideas/%d/vote", idea.ID)
	resp := voter.post(path, nil, "Accept", "application/json")
	wantStatus(t, resp, http.StatusServiceUnavailable)
	if resp.Header.Get("Retry-After") == "" {
		t.Fatalf("503 without Retry-After")
	}
	if _, err := lock.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if n := dbtest.Count(t, db, "SELECT count(*) FROM votes"); n != 0 {
		t.Fatalf("%d votes stored by a refused request", n)
	}
	voteJSON(t, voter, path, http.StatusOK)
	countersEqualRows(t, db)
}

// Two processes on one PostgreSQL: a vote through one shows on the other's
// signed-out page, which it had cached, within its half-second window.
func TestDrillVoteThroughOneInstanceShowsOnAnother(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	portal := newDrillPortal(t, "postgres", 1, 1)
	one, two := startProcess(t, portal.url), startProcess(t, portal.url)
	idea := portal.ideas[0]
	page := two.url + ideaPath(idea.ID, idea.Slug)
	hc := &http.Client{Timeout: 5 * time.Second}
	read := func() (string, string) {
		t.Helper()
		resp, err := hc.Get(page)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %v", page, resp.StatusCode, err)
		}
		return string(b), resp.Header.Get("X-Cache")
	}
	read()
	if _, cache := read(); cache != "hit" {
		t.Fatalf("the second read was not from the cache (X-Cache %q)", cache)
	}
	if status, _, ok, err := portal.voters[0].vote(hc, one.url, idea.ID); err != nil || !ok {
		t.Fatalf("vote through the first instance: %d %v", status, err)
	}
	voted := time.Now()
	waitUntil(t, 10*time.Second, "the second instance to show the vote", func() bool {
		body, _ := read()
		return strings.Contains(body, oneVote)
	})
	t.Logf("the vote showed on the other instance after %s", time.Since(voted).Round(time.Millisecond))
}
