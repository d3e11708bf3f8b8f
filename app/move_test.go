package app

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

var csrfValue = regexp.MustCompile(`(name="_csrf" value=")[^"]*"`)

// A portal moved to the other engine shows the same pages and feeds, byte
// for byte (forms' tokens aside).
func TestAMovedPortalShowsTheSamePagesAndFeeds(t *testing.T) {
	ctx := context.Background()
	from, to := dbtest.Open(t, "sqlite"), dbtest.Open(t, "postgres")
	src := newTestApp(t, from)
	if _, err := models.Seed(ctx, from, models.SeedOptions{Users: 20, Ideas: 45, Votes: 300, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	p := dbtest.People(t, from)
	idea := dbtest.PostIdea(t, from, p.Ann, "Moving day", "Everything comes *along*.")
	if _, err := models.VoteFor(ctx, from, idea.ID, p.Bob.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := models.ChangeStatus(ctx, from, idea.ID, p.Staff, "done", "Shipped with **care**."); err != nil {
		t.Fatal(err)
	}
	if _, err := models.CreateComment(ctx, from, models.NewComment{IdeaID: idea.ID, Author: p.Bob, Body: "Thanks!"}); err != nil {
		t.Fatal(err)
	}
	var doc bytes.Buffer
	if _, err := models.Export(ctx, from, &doc, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := models.ImportCluetrain(ctx, to, &doc, "moved", nil); err != nil {
		t.Fatal(err)
	}
	dst := newTestApp(t, to)
	for _, path := range []string{
		"/", "/?sort=top", "/?sort=new&board=integrations", "/roadmap", "/changelog",
		ideaPath(idea.ID, idea.Slug), "/ideas/12/" + dbtest.Reload(t, from, 12).Slug,
		"/feeds/ideas.atom", "/feeds/changelog.rss", "/feeds/roadmap.json", "/sitemap.xml",
	} {
		a := wantStatus(t, src.client().get(path), http.StatusOK)
		b := wantStatus(t, dst.client().get(path), http.StatusOK)
		a, b = csrfValue.ReplaceAllString(a, `$1"`), csrfValue.ReplaceAllString(b, `$1"`)
		if a != b {
			t.Errorf("%s differs after the move", path)
		}
	}
}
