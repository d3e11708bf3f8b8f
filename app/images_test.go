package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// imgSources is the img-src directive of a response's policy.
func imgSources(t *testing.T, resp *http.Response) string {
	t.Helper()
	for _, d := range strings.Split(resp.Header.Get("Content-Security-Policy"), ";") {
		if d = strings.TrimSpace(d); strings.HasPrefix(d, "img-src ") {
			return d
		}
	}
	t.Fatalf("no img-src in %q", resp.Header.Get("Content-Security-Policy"))
	return ""
}

// A post cannot carry a tracking pixel: its images are links, and the
// policy lets pages load images only from the portal.
func TestPostsLoadNoImagesFromElsewhere(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		c := ta.client()
		c.signInAs(dbtest.User(t, db, "Writer", "writer@example.com", models.RoleMember))
		loc := postIdea(t, c, "Pixel in the body", "Look: ![chart](https://tracker.example/body.gif)")
		id := strings.Split(loc, "/")[2]
		wantStatus(t, c.post("/ideas/"+id+"/comments", url.Values{"body": {"![](https://tracker.example/comment.gif)"}}), http.StatusSeeOther)

		resp := ta.client().get(loc)
		page := wantStatus(t, resp, http.StatusOK)
		if strings.Contains(page, `src="https://tracker.example`) {
			t.Errorf("the idea page loads an image from the post:\n%s", excerptOf(mainOf(t, page)))
		}
		for _, want := range []string{`href="https://tracker.example/body.gif"`, `>chart</a>`, `href="https://tracker.example/comment.gif"`} {
			if !strings.Contains(page, want) {
				t.Errorf("the idea page lacks %q", want)
			}
		}
		if got := imgSources(t, resp); got != "img-src 'self' data:" {
			t.Errorf("policy: %s", got)
		}
		feed := wantStatus(t, ta.client().get(fmt.Sprintf("/ideas/%s/feed.atom", id)), http.StatusOK)
		if strings.Contains(feed, "&lt;img") || strings.Contains(feed, "<img") {
			t.Error("the idea's feed carries an image")
		}
	})
}

// The signed-in person's picture is shown only from their provider's
// picture hosts, which are the only others the policy allows.
func TestAvatarsComeOnlyFromProviderHosts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestAppWith(t, db, map[string]string{
			"BASE_URL":   "http://portal.test",
			"GITHUB_KEY": "k", "GITHUB_SECRET": "s",
			"GOOGLE_KEY": "k", "GOOGLE_SECRET": "s",
		}, WithoutRateLimits())
		for i, tc := range []struct {
			avatar string
			shown  bool
		}{
			{"https://avatars.githubusercontent.com/u/583231?v=4", true},
			{"https://lh3.googleusercontent.com/a/picture", true},
			{"http://avatars.githubusercontent.com/u/1", false},
			{"https://avatars.githubusercontent.com.tracker.example/u/1", false},
			{"https://googleusercontent.com.tracker.example/a", false},
			{"https://avatars.githubusercontent.com:8443/u/1", false},
			{"https://tracker.example/me.png", false},
		} {
			res, err := models.SignInWithProvider(t.Context(), db, models.Profile{
				Provider: "github", Subject: fmt.Sprint(i + 1), Name: fmt.Sprintf("Person %d", i), AvatarURL: tc.avatar,
			}, models.Roles{})
			if err != nil {
				t.Fatal(err)
			}
			c := ta.client()
			c.signInAs(res.User)
			resp := c.get("/")
			page := wantStatus(t, resp, http.StatusOK)
			img := `<img class="avatar" src="` + strings.ReplaceAll(tc.avatar, "&", "&amp;") + `"`
			if strings.Contains(page, img) != tc.shown {
				t.Errorf("%s: shown = %v, want %v", tc.avatar, !tc.shown, tc.shown)
			}
			if !tc.shown && !strings.Contains(page, `<span class="avatar" aria-hidden="true">P</span>`) {
				t.Errorf("%s: no initial in its place", tc.avatar)
			}
			if got := imgSources(t, resp); got != "img-src 'self' data: https://avatars.githubusercontent.com https://*.googleusercontent.com" {
				t.Errorf("policy: %s", got)
			}
		}
	})
}
