package models_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// lively fills a portal with everything an export must carry: seeded ideas,
// votes and comments, then status changes with responses, a merge, a
// hidden comment, a hidden idea, a private board, follows and unfollows.
func lively(t *testing.T, db *models.DB) {
	t.Helper()
	ctx := context.Background()
	dbtest.FixClock(db)
	if _, err := models.Seed(ctx, db, models.SeedOptions{Users: 25, Ideas: 60, Votes: 400, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	p := dbtest.People(t, db)
	a := dbtest.PostIdea(t, db, p.Ann, "Export everything", "Including *history*.")
	b := dbtest.PostIdea(t, db, p.Bob, "Export it all please", "")
	for _, u := range []*models.User{p.Ann, p.Bob, p.Admin} {
		if _, err := models.VoteFor(ctx, db, b.ID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := models.ChangeStatus(ctx, db, a.ID, p.Staff, "planned", "Coming in **May**."); err != nil {
		t.Fatal(err)
	}
	c, err := models.CreateComment(ctx, db, models.NewComment{IdeaID: b.ID, Author: p.Ann, Body: "Spam link"})
	if err != nil {
		t.Fatal(err)
	}
	if err := models.HideComment(ctx, db, b.ID, c.ID, p.Staff); err != nil {
		t.Fatal(err)
	}
	if _, err := models.MergeIdea(ctx, db, b.ID, a.ID, p.Staff); err != nil {
		t.Fatal(err)
	}
	if err := models.Unsubscribe(ctx, db, a.ID, p.Bob.ID); err != nil {
		t.Fatal(err)
	}
	if err := models.HideIdea(ctx, db, 7, p.Staff, true); err != nil {
		t.Fatal(err)
	}
	// Reports go along, open and resolved.
	for _, r := range []struct {
		idea    int64
		comment int64
		by      *models.User
	}{{a.ID, 0, p.Bob}, {b.ID, c.ID, p.Bob}, {9, 0, p.Ann}} {
		if _, err := models.ReportThing(ctx, db, r.idea, r.comment, r.by, "Looks wrong"); err != nil && r.comment == 0 {
			t.Fatal(err)
		}
	}
	if _, err := models.ResolveReports(ctx, db, 9, 0, p.Staff, false); err != nil {
		t.Fatal(err)
	}
	secret := dbtest.Board(t, db, "internal", true)
	dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.Staff, Title: "Private plans", Board: secret})
	// A branded portal: its logo is binary, and goes along.
	logo := append([]byte("\x89PNG\r\n\x1a\n"), 0xff, 0xfe, 0x00, 0x80, 0xc3)
	if _, err := models.SaveSite(ctx, db, models.SiteInput{Name: "Acme", Accent: "#1d4ed8", Approval: models.ApprovalNew,
		AllowedDomains: "acme.example", Logo: logo}, p.Admin); err != nil {
		t.Fatal(err)
	}
}

// export returns the portal's document with its moment of export blanked.
func export(t *testing.T, db *models.DB) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	if _, err := models.Export(context.Background(), db, &buf, nil); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("the export is not JSON: %v", err)
	}
	doc["exported_at"] = ""
	return doc
}

func TestExportImportRoundTripAcrossEngines(t *testing.T) {
	for _, dir := range [][2]string{{"sqlite", "postgres"}, {"postgres", "sqlite"}} {
		t.Run(dir[0]+" to "+dir[1], func(t *testing.T) {
			ctx := context.Background()
			from, to := dbtest.Open(t, dir[0]), dbtest.Open(t, dir[1])
			lively(t, from)
			var buf bytes.Buffer
			counts, err := models.Export(ctx, from, &buf, nil)
			if err != nil {
				t.Fatal(err)
			}
			raw := buf.String()
			for _, secret := range []string{"secret_key", "token", "session"} {
				if strings.Contains(raw, secret) {
					t.Errorf("the export mentions %q", secret)
				}
			}
			if counts["ideas"] != 63 || counts["votes"] != dbtest.Count(t, from, "SELECT count(*) FROM votes") {
				t.Fatalf("counts %v", counts)
			}
			dbtest.FixClock(to)
			res, err := models.ImportCluetrain(ctx, to, strings.NewReader(raw), "digest-1", nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Corrected != 0 || !reflect.DeepEqual(res.Counts, counts) {
				t.Errorf("import %+v, export counts %v", res, counts)
			}
			site, err := models.LoadSite(ctx, to)
			if err != nil || site.Name != "Acme" || site.Accent != "#1d4ed8" || site.Approval != models.ApprovalNew || site.LogoHash == "" {
				t.Fatalf("imported settings %+v, %v", site, err)
			}
			if logo, err := models.LogoByHash(ctx, to, site.LogoHash); err != nil || logo.ContentType != "image/png" ||
				!bytes.Equal(logo.Data, append([]byte("\x89PNG\r\n\x1a\n"), 0xff, 0xfe, 0x00, 0x80, 0xc3)) {
				t.Fatalf("imported logo %+v, %v", logo, err)
			}
			want, got := export(t, from), export(t, to)
			for k, v := range want {
				if !reflect.DeepEqual(v, got[k]) {
					t.Errorf("%s differs after the round trip", k)
					if w, ok := v.([]any); ok {
						g, _ := got[k].([]any)
						for i := range w {
							if i >= len(g) || !reflect.DeepEqual(w[i], g[i]) {
								t.Errorf("first difference at row %d:\n%v\n%v", i, w[i], g[min(i, len(g)-1)])
								break
							}
						}
					}
				}
			}
			// Counters, search and new ids all work on the target.
			for _, q := range []string{
				"SELECT count(*) FROM ideas WHERE votes_count <> (SELECT count(*) FROM votes v WHERE v.idea_id = ideas.id)",
				"SELECT count(*) FROM ideas WHERE comments_count <> (SELECT count(*) FROM comments c WHERE c.idea_id = ideas.id AND c.hidden_at IS NULL)",
			} {
				if n := dbtest.Count(t, to, q); n != 0 {
					t.Errorf("%s: %d", q, n)
				}
			}
			page, err := models.ListIdeas(ctx, to, models.IdeaQuery{Search: "export everything"})
			if err != nil || len(page.Ideas) == 0 || page.Ideas[0].Title != "Export everything" {
				t.Errorf("search after import: %v %+v", err, page.Ideas)
			}
			fresh := dbtest.PostIdea(t, to, dbtest.User(t, to, "New", "new@example.com", models.RoleMember), "A new idea after the move", "")
			if fresh.ID != 64 {
				t.Errorf("the next idea got id %d, want 64", fresh.ID)
			}

			// The same document again changes nothing; another is refused.
			if _, err := models.ImportCluetrain(ctx, to, strings.NewReader(raw), "digest-1", nil); !errors.Is(err, models.ErrAlreadyImported) {
				t.Errorf("second import: %v", err)
			}
			if _, err := models.ImportCluetrain(ctx, to, strings.NewReader(raw), "digest-2", nil); !errors.Is(err, models.ErrPortalNotEmpty) {
				t.Errorf("import into a full portal: %v", err)
			}
		})
	}
}

func TestBadDocumentsChangeNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		src := dbtest.Open(t, "sqlite")
		lively(t, src)
		var buf bytes.Buffer
		if _, err := models.Export(ctx, src, &buf, nil); err != nil {
			t.Fatal(err)
		}
		doc := buf.String()
		state := func() string {
			var b strings.Builder
			for _, q := range []string{"users", "boards", "statuses", "ideas", "votes", "events", "settings"} {
				fmt.Fprintf(&b, "%s=%d ", q, dbtest.Count(t, db, "SELECT count(*) FROM "+q))
			}
			return b.String()
		}
		before := state()
		for name, bad := range map[string]string{
			"truncated":           doc[:len(doc)*2/3],
			"not JSON":            "this is not an export",
			"wrong format":        strings.Replace(doc, `"format":"cluetrain"`, `"format":"fider"`, 1),
			"a later version":     strings.Replace(doc, `"version":1`, `"version":99`, 1),
			"an unknown column":   strings.Replace(doc, `"avatar_url":`, `"favourite_colour":"teal","avatar_url":`, 1),
			"a dangling vote":     strings.Replace(doc, `"votes":[{"idea_id":`, `"votes":[{"idea_id":999999,"user_id":1,"created_at":"2026-01-01T00:00:00Z","importance":""},{"idea_id":`, 1),
			"tables out of order": strings.Replace(strings.Replace(doc, `"users":[`, `"xusers":[`, 1), `"events":[`, `"users":[],"events":[`, 1),
		} {
			_, err := models.ImportCluetrain(ctx, db, strings.NewReader(bad), name, nil)
			if err == nil {
				t.Errorf("%s: imported", name)
			}
			if after := state(); after != before {
				t.Fatalf("%s changed the portal: %s -> %s", name, before, after)
			}
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM boards WHERE slug = 'feature-requests'"); n != 1 {
			t.Errorf("the default board is gone after failed imports (%d)", n)
		}
	})
}

func TestBackupOfALiveDatabase(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	ctx := context.Background()
	lively(t, db)
	users := make([]*models.User, 8)
	for i := range users {
		users[i] = dbtest.User(t, db, "Voter", "voter"+string(rune('a'+i))+"@example.com", models.RoleMember)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var written atomic.Int64
	for i, u := range users {
		wg.Add(1)
		go func(i int, u *models.User) {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				id := int64(1 + (i*7+n)%60)
				var err error
				if n%2 == 0 {
					_, err = models.VoteFor(ctx, db, id, u.ID)
				} else {
					_, err = models.Unvote(ctx, db, id, u.ID)
				}
				if err == nil {
					written.Add(1)
				}
			}
		}(i, u)
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	// The backup runs while the writers write.
	for written.Load() < 50 {
		runtime.Gosched()
	}
	err := models.Backup(ctx, db, path)
	during := written.Load()
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if written.Load() == during {
		t.Log("the writers finished with the backup")
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	copyDB, err := models.Open(ctx, "sqlite:"+path, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	var check string
	if err := copyDB.Bun().QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q %v", check, err)
	}
	if n := dbtest.Count(t, copyDB, "SELECT count(*) FROM ideas WHERE votes_count <> (SELECT count(*) FROM votes v WHERE v.idea_id = ideas.id)"); n != 0 {
		t.Errorf("%d ideas' counts disagree with their votes in the backup", n)
	}
	if n := dbtest.Count(t, copyDB, "SELECT count(*) FROM ideas"); n != 63 {
		t.Errorf("backup has %d ideas", n)
	}
	// An existing file is not overwritten, and PostgreSQL is pointed to
	// pg_dump.
	if err := models.Backup(ctx, db, path); err == nil {
		t.Error("backed up over an existing file")
	}
}
