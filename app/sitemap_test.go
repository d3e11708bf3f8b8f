package app

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// Past one file's worth of URLs, /sitemap.xml is an index of paged
// sitemaps: every public idea in exactly one file, each file within the
// limit, each dated by the last activity of its ideas, each cached.
func TestSitemapIsPagedPastOneFile(t *testing.T) {
	defer func(n int) { sitemapURLsPerFile = n }(sitemapURLsPerFile)
	sitemapURLsPerFile = 7 // three pages of the portal and four ideas

	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		cast := dbtest.People(t, db)
		secret := dbtest.Board(t, db, "secret", true)
		var public []*models.Idea
		var private *models.Idea
		for i := range 10 {
			if i == 5 {
				private = dbtest.Idea(t, db, dbtest.IdeaSpec{Author: cast.Ann, Title: "Hidden plan", Board: secret})
			}
			ta.clock.Advance(time.Minute)
			public = append(public, dbtest.Idea(t, db, dbtest.IdeaSpec{Author: cast.Ann, Title: fmt.Sprintf("Public idea %d", i+1)}))
		}
		// The seventh idea (in the second file) was talked about last.
		talked := ta.clock.Now().Add(time.Hour).UTC().Truncate(time.Second)
		if _, err := db.Bun().NewUpdate().Table("ideas").Set("last_activity_at = ?", talked).Where("id = ?", public[6].ID).Exec(context.Background()); err != nil {
			t.Fatal(err)
		}

		visitor := ta.client()
		var index struct {
			Sitemaps []struct {
				Loc     string `xml:"loc"`
				LastMod string `xml:"lastmod"`
			} `xml:"sitemap"`
		}
		page := wantStatus(t, visitor.get("/sitemap.xml"), http.StatusOK)
		if err := xml.Unmarshal([]byte(page), &index); err != nil {
			t.Fatalf("the sitemap index: %v\n%s", err, page)
		}
		// Ten public ideas, four a file: three files.
		if len(index.Sitemaps) != 3 {
			t.Fatalf("the index lists %d sitemaps, want 3\n%s", len(index.Sitemaps), page)
		}
		wantFirst := []string{"/sitemaps/ideas-0.xml", sitemapFilePath(public[3].ID), sitemapFilePath(public[7].ID)}
		for i, s := range index.Sitemaps {
			if s.Loc != "http://portal.test"+wantFirst[i] {
				t.Errorf("sitemap %d is %s, want %s", i, s.Loc, wantFirst[i])
			}
		}
		if got, want := index.Sitemaps[1].LastMod, talked.Format(time.RFC3339); got != want {
			t.Errorf("the second file's lastmod is %s, want the seventh idea's activity %s", got, want)
		}

		seen := map[string]int{}
		for i, s := range index.Sitemaps {
			path := s.Loc[len("http://portal.test"):]
			resp := visitor.get(path)
			file := wantStatus(t, resp, http.StatusOK)
			var set struct {
				URLs []struct {
					Loc     string `xml:"loc"`
					LastMod string `xml:"lastmod"`
				} `xml:"url"`
			}
			if err := xml.Unmarshal([]byte(file), &set); err != nil {
				t.Fatalf("%s: %v\n%s", path, err, file)
			}
			if want := []int{7, 4, 2}[i]; len(set.URLs) != want {
				t.Fatalf("%s lists %d URLs, want %d\n%s", path, len(set.URLs), want, file)
			}
			if len(set.URLs) > sitemapURLsPerFile {
				t.Fatalf("%s is over the limit", path)
			}
			for _, u := range set.URLs {
				seen[u.Loc]++
			}
			if again := visitor.get(path); again.Header.Get("X-Cache") != "hit" {
				t.Errorf("%s was not served from the cache the second time", path)
			}
		}
		if len(seen) != 3+10 {
			t.Errorf("the files list %d distinct URLs, want 13", len(seen))
		}
		for _, idea := range public {
			if n := seen["http://portal.test"+ideaPath(idea.ID, idea.Slug)]; n != 1 {
				t.Errorf("idea %d is listed %d times", idea.ID, n)
			}
		}
		for loc := range seen {
			if loc == "http://portal.test"+ideaPath(private.ID, private.Slug) {
				t.Errorf("an idea on a private board is listed")
			}
		}

		// Three new ideas show at once, in a fourth file.
		dbtest.Idea(t, db, dbtest.IdeaSpec{Author: cast.Ann, Title: "One more"})
		dbtest.Idea(t, db, dbtest.IdeaSpec{Author: cast.Ann, Title: "And another"})
		dbtest.Idea(t, db, dbtest.IdeaSpec{Author: cast.Ann, Title: "And a third"})
		index.Sitemaps = nil
		if err := xml.Unmarshal([]byte(wantStatus(t, visitor.get("/sitemap.xml"), http.StatusOK)), &index); err != nil {
			t.Fatal(err)
		}
		if len(index.Sitemaps) != 4 {
			t.Errorf("after three more ideas the index lists %d sitemaps, want 4", len(index.Sitemaps))
		}

		for _, bad := range []string{"/sitemaps/ideas-01.xml", "/sitemaps/ideas--1.xml", "/sitemaps/ideas-x.xml", "/sitemaps/ideas-3", "/sitemaps/pages.xml", "/sitemaps/ideas-99999999999999999999.xml"} {
			wantStatus(t, visitor.get(bad), http.StatusNotFound)
		}
	})
}

// While everything fits in one file, /sitemap.xml is that file.
func TestSitemapFitsInOneFileUpToTheLimit(t *testing.T) {
	defer func(n int) { sitemapURLsPerFile = n }(sitemapURLsPerFile)
	sitemapURLsPerFile = 7

	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		cast := dbtest.People(t, db)
		for i := range 4 {
			dbtest.Idea(t, db, dbtest.IdeaSpec{Author: cast.Ann, Title: fmt.Sprintf("Idea number %d", i+1)})
		}
		page := wantStatus(t, ta.client().get("/sitemap.xml"), http.StatusOK)
		var set struct {
			XMLName xml.Name
			URLs    []struct {
				Loc string `xml:"loc"`
			} `xml:"url"`
		}
		if err := xml.Unmarshal([]byte(page), &set); err != nil {
			t.Fatal(err)
		}
		if set.XMLName.Local != "urlset" || len(set.URLs) != 7 {
			t.Fatalf("a sitemap of exactly seven URLs: <%s> with %d URLs\n%s", set.XMLName.Local, len(set.URLs), page)
		}
	})
}
