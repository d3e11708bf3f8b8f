package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// postMultipart sends the settings form as a browser does, with a file.
func (c *client) postMultipart(path string, form url.Values, file string, data []byte) *http.Response {
	c.ta.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if !form.Has("_csrf") {
		form.Set("_csrf", c.csrf())
	}
	for k, vs := range form {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	if data != nil {
		fw, err := w.CreateFormFile("logo", file)
		if err != nil {
			c.ta.t.Fatal(err)
		}
		_, _ = fw.Write(data)
	}
	_ = w.Close()
	req := httptest.NewRequest(http.MethodPost, path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.do(req)
}

func pngBytes(t *testing.T, size int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	for x := 0; x < size; x++ {
		img.Set(x, x, color.RGBA{79, 70, 229, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func settingsForm_(name, accent string) url.Values {
	return url.Values{"name": {name}, "welcome": {"Tell Acme what to build."}, "accent_color": {accent},
		"approval": {"never"}, "private": {"off"}, "allowed_domains": {""}}
}

// An admin names and colours the portal: the name shows in every page's
// title and header, the colour arrives as a stylesheet for light and dark
// mode, and the change is one audit event. Bad input is a 422 with the
// message beside the field and everything typed kept; nothing is stored.
func TestSiteSettingsBrandThePortal(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		admin := dbtest.User(t, db, "Ada Admin", "ada@example.com", models.RoleAdmin)
		member := dbtest.User(t, db, "Mo", "mo@example.com", models.RoleMember)
		c, m, visitor := ta.client(), ta.client(), ta.client()
		c.signInAs(admin)
		m.signInAs(member)

		b := wantStatus(t, c.get("/admin"), http.StatusOK)
		for _, want := range []string{`action="/admin/settings"`, `enctype="multipart/form-data"`, `name="accent_color"`, `value="Cluetrain"`, `id="approval-never" name="approval" value="never" checked`, `id="private-off" name="private" value="off" checked`} {
			if !strings.Contains(b, want) {
				t.Errorf("admin page lacks %s", want)
			}
		}
		// Only admins change settings.
		wantStatus(t, m.post("/admin/settings", settingsForm_("Mine now", "")), http.StatusForbidden)

		before := dbtest.Count(t, db, "SELECT count(*) FROM settings")
		for _, tc := range []struct{ name, accent, field, msg string }{
			{"Acme Ideas", "#ffff00", "site-accent-error", "too light"},
			{"Acme Ideas", "#777777", "site-accent-error", "4.5:1"},
			{"Acme Ideas", "blue", "site-accent-error", "#rrggbb"},
			{"", "#1d4ed8", "site-name-error", "Give the portal a name."},
		} {
			b := wantStatus(t, c.post("/admin/settings", settingsForm_(tc.name, tc.accent)), http.StatusUnprocessableEntity)
			if !strings.Contains(b, `id="`+tc.field+`"`) || !strings.Contains(b, tc.msg) {
				t.Errorf("%q/%q: no %q beside the field:\n%s", tc.name, tc.accent, tc.msg, excerptOf(b))
			}
			if !strings.Contains(b, `value="`+tc.accent+`"`) || !strings.Contains(b, "Tell Acme what to build.") {
				t.Errorf("%q/%q: the input was not kept", tc.name, tc.accent)
			}
		}
		f := settingsForm_("Acme", "#1d4ed8")
		f.Set("approval", "sometimes")
		f.Set("allowed_domains", "not a domain")
		b = wantStatus(t, c.post("/admin/settings", f), http.StatusUnprocessableEntity)
		for _, want := range []string{"Choose never, new or all.", `id="site-domains-error"`} {
			if !strings.Contains(b, want) {
				t.Errorf("refused settings lack %q", want)
			}
		}
		if got := dbtest.Count(t, db, "SELECT count(*) FROM settings"); got != before {
			t.Fatalf("refused forms stored settings: %d rows, want %d", got, before)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE kind = 'settings.changed'"); n != 0 {
			t.Fatalf("%d settings events after refusals, want 0", n)
		}

		resp := c.post("/admin/settings", settingsForm_("Acme Ideas", "#1D4ED8"))
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin?saved=settings#settings" {
			t.Fatalf("save: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		for _, p := range []string{"/", "/roadmap", "/login"} {
			b := wantStatus(t, visitor.get(p), http.StatusOK)
			if !strings.Contains(b, "· Acme Ideas</title>") && !strings.Contains(b, "<title>Acme Ideas</title>") {
				t.Errorf("GET %s: the title does not name the portal", p)
			}
			if !strings.Contains(b, `<span>Acme Ideas</span>`) || !strings.Contains(b, `href="/site.css?v=1d4ed8"`) {
				t.Errorf("GET %s: no name or accent stylesheet in the header", p)
			}
		}
		if b := wantStatus(t, visitor.get("/"), http.StatusOK); !strings.Contains(b, "Tell Acme what to build.") {
			t.Error("the home page does not show the welcome")
		}
		resp = visitor.get("/site.css?v=1d4ed8")
		css := wantStatus(t, resp, http.StatusOK)
		if !strings.Contains(css, "--accent: #1d4ed8;") || !strings.Contains(css, "prefers-color-scheme: dark") ||
			resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("site.css:\n%s\n%v", css, resp.Header)
		}
		// Mail names the portal and wears its colour.
		_, html, err := ta.emails.render("login_link", map[string]any{"Link": "http://portal.test/x", "Site": ta.siteLabel(context.Background()),
			"Accent": ta.mailAccent(context.Background()), "BaseURL": "http://portal.test", "Minutes": 15})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(html, "Sign in to Acme Ideas") || !strings.Contains(html, "background:#1d4ed8;color:#ffffff") {
			t.Errorf("the sign-in mail is not branded:\n%s", html)
		}
		// Feeds' titles name the portal, and a new name is a new version.
		oldTag := visitor.get("/feeds/ideas.atom").Header.Get("ETag")
		resp = visitor.get("/feeds/ideas.atom")
		if b := wantStatus(t, resp, http.StatusOK); !strings.Contains(b, "<title>Acme Ideas: New ideas</title>") {
			t.Errorf("the feed's title does not name the portal:\n%s", excerptOf(b))
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE kind = 'settings.changed' AND actor_id = ?", admin.ID); n != 1 {
			t.Fatalf("%d settings events, want 1", n)
		}
		// Saving the same again changes nothing and records nothing.
		c.post("/admin/settings", settingsForm_("Acme Ideas", "#1d4ed8"))
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events WHERE kind = 'settings.changed'"); n != 1 {
			t.Fatalf("%d settings events after an unchanged save, want 1", n)
		}
		c.post("/admin/settings", settingsForm_("Acme Feedback", "#1d4ed8"))
		// A form that names one setting changes that one alone.
		for _, f := range []url.Values{{"approval": {"all"}}, {"private": {"on"}}} {
			if resp := c.post("/admin/settings", f); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("%v: %d\n%s", f, resp.StatusCode, excerptOf(body(t, resp)))
			}
		}
		site, err := models.LoadSite(context.Background(), db)
		if err != nil || site.Name != "Acme Feedback" || site.Accent != "#1d4ed8" || site.Welcome != "Tell Acme what to build." ||
			site.Approval != models.ApprovalAll || !site.Private {
			t.Fatalf("after one-field saves: %+v, %v", site, err)
		}
		c.post("/admin/settings", url.Values{"private": {"off"}})
		resp = visitor.get("/feeds/ideas.atom", "If-None-Match", oldTag)
		if b := wantStatus(t, resp, http.StatusOK); !strings.Contains(b, "<title>Acme Feedback: New ideas</title>") || resp.Header.Get("ETag") == oldTag {
			t.Errorf("renamed, the feed is not a new version (ETag %q)", resp.Header.Get("ETag"))
		}
	})
}

// The dark-mode accent derived from any accepted colour reads on every
// dark surface, and the accepted light one on every light surface.
func TestAccentContrastBothModes(t *testing.T) {
	for _, c := range []string{"#1d4ed8", "#000000", "#4f46e5", "#b42318", "#157f3c", "#333333", "#6d28d9"} {
		got, msg := models.CheckAccent(c)
		if msg != "" {
			t.Fatalf("%s refused: %s", c, msg)
		}
		for _, bg := range []string{"#ffffff", "#f7f7fb", "#f1f1f7"} {
			if r := models.Contrast(got, bg); r < 4.5 {
				t.Errorf("%s on %s: %.2f", got, bg, r)
			}
		}
		dark := models.DarkAccent(got)
		for _, bg := range []string{"#0f1016", "#171821", "#1f2130"} {
			if r := models.Contrast(dark, bg); r < 4.5 {
				t.Errorf("dark %s (from %s) on %s: %.2f", dark, c, bg, r)
			}
		}
	}
	for _, c := range []string{"#ffffff", "#ffff00", "#8b87ff", "#22c55e"} {
		if _, msg := models.CheckAccent(c); msg == "" {
			t.Errorf("%s accepted", c)
		}
	}
}

// A logo is stored in the database and served under its hash for good; a
// file that is not a PNG, JPEG or safe SVG is a 422 beside the field, and
// one over 512 KB a 413. Nothing is stored by a refusal.
func TestLogoUpload(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		admin := dbtest.User(t, db, "Ada Admin", "ada@example.com", models.RoleAdmin)
		c, visitor := ta.client(), ta.client()
		c.signInAs(admin)

		logo := pngBytes(t, 64)
		resp := c.postMultipart("/admin/settings", settingsForm_("Acme", ""), "logo.png", logo)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("upload: %d\n%s", resp.StatusCode, excerptOf(body(t, resp)))
		}
		sum := sha256.Sum256(logo)
		hash := hex.EncodeToString(sum[:])
		b := wantStatus(t, visitor.get("/"), http.StatusOK)
		if !strings.Contains(b, `<img src="/logo/`+hash+`"`) {
			t.Fatal("the header does not show the uploaded logo")
		}
		resp = visitor.get("/logo/" + hash)
		got := wantStatus(t, resp, http.StatusOK)
		if got != string(logo) || resp.Header.Get("Content-Type") != "image/png" ||
			resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
			!strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("logo served as %v", resp.Header)
		}
		wantStatus(t, visitor.get("/logo/"+strings.Repeat("0", 64)), http.StatusNotFound)
		wantStatus(t, visitor.get("/logo/nothex"), http.StatusNotFound)

		safeSVG := []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="#123"/></svg>`)
		resp = c.postMultipart("/admin/settings", settingsForm_("Acme", ""), "logo.svg", safeSVG)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("svg upload: %d\n%s", resp.StatusCode, excerptOf(body(t, resp)))
		}
		sum = sha256.Sum256(safeSVG)
		if resp := visitor.get("/logo/" + hex.EncodeToString(sum[:])); resp.Header.Get("Content-Type") != "image/svg+xml" {
			t.Errorf("svg served as %q", resp.Header.Get("Content-Type"))
		}

		logos := dbtest.Count(t, db, "SELECT count(*) FROM logos")
		events := dbtest.Count(t, db, "SELECT count(*) FROM events")
		for name, data := range map[string][]byte{
			"script.svg":  []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
			"onload.svg":  []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>`),
			"notes.txt":   []byte("just some words, not a picture"),
			"fake.png":    append([]byte("GIF89a"), make([]byte, 100)...),
			"outside.svg": []byte(`<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/x.png"/></svg>`),
		} {
			resp := c.postMultipart("/admin/settings", settingsForm_("Renamed", ""), name, data)
			b := wantStatus(t, resp, http.StatusUnprocessableEntity)
			if !strings.Contains(b, `id="site-logo-error"`) || !strings.Contains(b, `value="Renamed"`) {
				t.Errorf("%s: no error beside the logo field, or the input lost:\n%s", name, excerptOf(b))
			}
		}
		big := append(pngBytes(t, 8), make([]byte, models.LogoMaxBytes)...)
		wantStatus(t, c.postMultipart("/admin/settings", settingsForm_("Renamed", ""), "big.png", big), http.StatusRequestEntityTooLarge)
		// Any other form keeps the ordinary limit.
		wantStatus(t, c.post("/settings", url.Values{"x": {strings.Repeat("a", bodyLimit+10)}}), http.StatusRequestEntityTooLarge)
		if n := dbtest.Count(t, db, "SELECT count(*) FROM logos"); n != logos {
			t.Errorf("%d logos after refusals, want %d", n, logos)
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM events"); n != events {
			t.Errorf("%d events after refusals, want %d", n, events)
		}
		if s, _ := models.LoadSite(context.Background(), db); s.Name != "Acme" {
			t.Errorf("name %q after refusals", s.Name)
		}
	})
}

// privateRoute is one GET route of the portal, a real path on it, and what
// a signed-out visitor of a private portal gets there: a redirect to sign
// in, 401 for feeds, or the answer an open portal gives (sign-in, health,
// assets, crawlers, and unsubscribing, whose signed link is the authority).
type privateRoute struct {
	route, path string
	want        int
}

func privateRoutes(idea *models.Idea) []privateRoute {
	id := fmt.Sprint(idea.ID)
	return []privateRoute{
		{"/", "/", http.StatusSeeOther},
		{"/", "/?q=quokka", http.StatusSeeOther},
		{"/", "/?sort=new", http.StatusSeeOther},
		{"/", "/?board=feature-requests", http.StatusSeeOther},
		{"/ideas/new", "/ideas/new", http.StatusSeeOther},
		{"/ideas/similar", "/ideas/similar?q=quokka", http.StatusSeeOther},
		{"/ideas/:id", "/ideas/" + id, http.StatusSeeOther},
		{"/ideas/:id/:slug", ideaPath(idea.ID, idea.Slug), http.StatusSeeOther},
		{"/roadmap", "/roadmap", http.StatusSeeOther},
		{"/changelog", "/changelog", http.StatusSeeOther},
		{"/triage", "/triage", http.StatusSeeOther},
		{"/admin", "/admin", http.StatusSeeOther},
		{"/admin/queue", "/admin/queue", http.StatusSeeOther},
		{"/admin/audit", "/admin/audit", http.StatusSeeOther},
		{"/admin/deliveries", "/admin/deliveries", http.StatusSeeOther},
		{"/admin/export", "/admin/export", http.StatusSeeOther},
		{"/notifications", "/notifications", http.StatusSeeOther},
		{"/settings", "/settings", http.StatusSeeOther},
		{"", "/no-such-page", http.StatusSeeOther},
		{"/feeds/:feed.:format", "/feeds/ideas.rss", http.StatusUnauthorized},
		{"/feeds/:feed.:format", "/feeds/ideas.atom", http.StatusUnauthorized},
		{"/feeds/:feed.:format", "/feeds/ideas.json", http.StatusUnauthorized},
		{"/feeds/:feed.:format", "/feeds/roadmap.rss", http.StatusUnauthorized},
		{"/feeds/:feed.:format", "/feeds/changelog.atom", http.StatusUnauthorized},
		{"/boards/:slug/feed.:format", "/boards/feature-requests/feed.rss", http.StatusUnauthorized},
		{"/ideas/:id/feed.:format", "/ideas/" + id + "/feed.json", http.StatusUnauthorized},
		{"/login", "/login", http.StatusOK},
		{"/login/email/:token", "/login/email/not-a-token", http.StatusNotFound},
		{"/auth/:provider", "/auth/nobody", http.StatusNotFound},
		{"/auth/:provider/callback", "/auth/nobody/callback", http.StatusNotFound},
		{"/unsubscribe/:token", "/unsubscribe/not-a-token", http.StatusNotFound},
		{"/healthz", "/healthz", http.StatusOK},
		{"/robots.txt", "/robots.txt", http.StatusOK},
		{"/sitemap.xml", "/sitemap.xml", http.StatusOK},
		{"/static/:file", "/static/nothing.css", http.StatusNotFound},
		{"/site.css", "/site.css", http.StatusOK},
		{"/logo/:hash", "/logo/nothing", http.StatusNotFound},
		{"/metrics", "/metrics", http.StatusOK},
		{"/sitemaps/:file", "/sitemaps/ideas-0.xml", http.StatusOK},
		{"/triage.csv", "/triage.csv", http.StatusSeeOther},
		{"/ideas/:id/voters.csv", "/ideas/" + id + "/voters.csv", http.StatusSeeOther},
		{"/admin/api", "/admin/api", http.StatusSeeOther},
		{"/sso", "/sso", http.StatusSeeOther},
		// The API answers to keys, which act as staff, whatever the portal.
		{"/api/v1/openapi.json", "/api/v1/openapi.json", http.StatusOK},
		{"/api/v1/ideas", "/api/v1/ideas", http.StatusUnauthorized},
		{"/api/v1/ideas/:id", "/api/v1/ideas/" + id, http.StatusUnauthorized},
		{"/api/v1/ideas/:id/votes", "/api/v1/ideas/" + id + "/votes", http.StatusUnauthorized},
		{"/api/v1/boards", "/api/v1/boards", http.StatusUnauthorized},
		{"/api/v1/statuses", "/api/v1/statuses", http.StatusUnauthorized},
		{"/api/v1/webhooks", "/api/v1/webhooks", http.StatusUnauthorized},
	}
}

// A private portal answers every signed-out page with a redirect to sign
// in and every feed with 401, tells crawlers to keep out and lists nothing
// in its sitemap; the sign-in page stays open. Once signed in, people of
// the allowed domains read it, others get a 403, and staff always get in.
// Opening it again brings everything back.
func TestPrivatePortal(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		ta := newTestApp(t, db)
		admin := dbtest.User(t, db, "Ada Admin", "ada@gmail.example", models.RoleAdmin)
		inside := dbtest.User(t, db, "Ina", "ina@acme.example", models.RoleMember)
		outside := dbtest.User(t, db, "Otto", "otto@other.example", models.RoleMember)
		staff := dbtest.User(t, db, "Sam", "sam@contractor.example", models.RoleStaff)
		guest := dbtest.User(t, db, "Gus", "Gus@Partner.example", models.RoleMember)
		neighbour := dbtest.User(t, db, "Nel", "nel@partner.example", models.RoleMember)
		idea, err := models.CreateIdea(ctx, db, models.NewIdea{Author: inside, Board: "feature-requests", Title: "Quokka private plans", Body: "Secret quokka"})
		if err != nil {
			t.Fatal(err)
		}
		a := ta.client()
		a.signInAs(admin)
		f := settingsForm_("Acme inside", "")
		f.Set("private", "on")
		f.Set("allowed_domains", "acme.example, @ACME.example gus@partner.example")
		if resp := a.post("/admin/settings", f); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d\n%s", resp.StatusCode, excerptOf(body(t, resp)))
		}
		if !ta.portalIsPrivate() {
			t.Fatal("portalIsPrivate() = false after closing the portal")
		}

		// The table names every GET route the portal has, so a new one
		// must say how a private portal answers it.
		tested := map[string]bool{}
		for _, r := range privateRoutes(idea) {
			tested[r.route] = true
		}
		for _, r := range ta.fiber.GetRoutes(true) {
			if r.Method == http.MethodGet && !tested[r.Path] {
				t.Errorf("GET %s is not in privateRoutes: say what a private portal answers there", r.Path)
			}
		}

		visitor := ta.client()
		for _, r := range privateRoutes(idea) {
			resp := visitor.get(r.path)
			b := body(t, resp)
			if resp.StatusCode != r.want {
				t.Errorf("visitor GET %s: %d, want %d", r.path, resp.StatusCode, r.want)
				continue
			}
			if r.want == http.StatusSeeOther {
				if loc := resp.Header.Get("Location"); loc != "/login?next="+url.QueryEscape(r.path) {
					t.Errorf("visitor GET %s: to %q", r.path, loc)
				}
			}
			if strings.Contains(strings.ToLower(b), "quokka") {
				t.Errorf("visitor GET %s shows the idea", r.path)
			}
			if r.want == http.StatusUnauthorized && len(resp.Cookies()) != 0 {
				t.Errorf("visitor GET %s set a cookie", r.path)
			}
		}
		if b := body(t, visitor.get("/robots.txt")); b != "User-agent: *\nDisallow: /\n" {
			t.Errorf("robots.txt:\n%s", b)
		}
		if b := body(t, visitor.get("/sitemap.xml")); strings.Contains(b, "<url>") {
			t.Errorf("the sitemap lists pages:\n%s", b)
		}
		// JSON callers are told 401; a signed-out POST goes to sign in.
		if resp := visitor.get("/", "Accept", "application/json"); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("JSON GET /: %d, want 401", resp.StatusCode)
		}
		votes := dbtest.Count(t, db, "SELECT count(*) FROM votes")
		if resp := visitor.post(fmt.Sprintf("/ideas/%d/vote", idea.ID), nil); resp.StatusCode != http.StatusSeeOther ||
			!strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
			t.Errorf("signed-out vote: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if n := dbtest.Count(t, db, "SELECT count(*) FROM votes"); n != votes {
			t.Errorf("a signed-out vote was counted")
		}

		for _, tc := range []struct {
			who  *models.User
			want int
		}{{inside, http.StatusOK}, {outside, http.StatusForbidden}, {staff, http.StatusOK}, {admin, http.StatusOK},
			{guest, http.StatusOK}, {neighbour, http.StatusForbidden}} {
			c := ta.client()
			c.signInAs(tc.who)
			for _, p := range []string{"/", ideaPath(idea.ID, idea.Slug), "/roadmap", "/?q=quokka"} {
				resp := c.get(p)
				b := body(t, resp)
				if resp.StatusCode != tc.want {
					t.Errorf("%s GET %s: %d, want %d", tc.who.Name, p, resp.StatusCode, tc.want)
				}
				if tc.want == http.StatusForbidden && (!strings.Contains(b, "open only to people of acme.example and those its admins invite") || strings.Contains(strings.ToLower(b), "quokka")) {
					t.Errorf("%s GET %s: the 403 does not explain, or leaks:\n%s", tc.who.Name, p, excerptOf(b))
				}
			}
			// Signing out stays possible for everyone.
			if resp := c.post("/logout", nil); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("%s POST /logout: %d", tc.who.Name, resp.StatusCode)
			}
		}
		// An unverified address at the domain does not let anyone in.
		if _, err := db.Bun().NewUpdate().Table("users").Set("email_verified = ?", false).Where("id = ?", inside.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		u := ta.client()
		u.signInAs(inside)
		wantStatus(t, u.get("/"), http.StatusForbidden)

		f.Set("private", "off")
		a.post("/admin/settings", f)
		if ta.portalIsPrivate() {
			t.Fatal("portalIsPrivate() = true after opening the portal")
		}
		for _, p := range []string{"/", "/feeds/ideas.rss", ideaPath(idea.ID, idea.Slug)} {
			if b := wantStatus(t, visitor.get(p), http.StatusOK); !strings.Contains(strings.ToLower(b), "quokka") {
				t.Errorf("open again, GET %s lacks the idea", p)
			}
		}
		if b := body(t, visitor.get("/sitemap.xml")); !strings.Contains(b, fmt.Sprintf("/ideas/%d/", idea.ID)) {
			t.Errorf("open again, the sitemap lacks the idea")
		}
	})
}
