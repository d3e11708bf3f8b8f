package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// csrfExempt lists the POST routes that by design take no CSRF token, each
// with the reason. It is empty: a route joins it only knowingly (a one-click
// unsubscribe from a mail client, an API authenticated by a bearer key).
var csrfExempt = map[string]string{
	"/unsubscribe/:token":        "one-click unsubscribe (RFC 8058) comes from mail providers with no cookie; the signed link is the authority",
	"/api/v1/ideas":              "bearer-token auth, no ambient credentials: the API reads no cookie, so nothing can be forged from a browser",
	"/api/v1/ideas/:id/status":   "bearer-token auth, no ambient credentials",
	"/api/v1/ideas/:id/comments": "bearer-token auth, no ambient credentials",
	"/api/v1/webhooks":           "bearer-token auth, no ambient credentials",
}

// csrfForms are plausible forms for the POST routes, so that each request
// would change something if its token were not missing. {idea}, {other},
// {comment} and {board} stand for real ids, {boardslug} for that board's
// slug.
var csrfForms = map[string]url.Values{
	"/ideas":                 {"title": {"Forged idea"}, "body": {"forged"}, "board": {"feature-requests"}},
	"/ideas/:id/comments":    {"body": {"forged comment"}},
	"/roadmap/move":          {"idea": {"{idea}"}, "status": {"in_progress"}},
	"/admin/boards":          {"name": {"Forged board"}, "slug": {"forged"}, "position": {"9"}, "is_private": {"on"}},
	"/admin/boards/:id":      {"name": {"Renamed"}, "slug": {"renamed"}, "position": {"1"}, "is_private": {"on"}},
	"/admin/users/role":      {"email": {"target@example.com"}, "role": {"admin"}},
	"/admin/users/block":     {"email": {"target@example.com"}},
	"/admin/users/unblock":   {"email": {"blocked@example.com"}},
	"/login/email":           {"email": {"forged@example.com"}},
	"/settings":              {"notify_digest": {"on"}},
	"/admin/api/keys":        {"name": {"Forged key"}, "scope": {"write"}},
	"/admin/api/webhooks":    {"url": {"https://203.0.113.9/hook"}, "events": {"idea.created"}},
	"/admin/reports/resolve": {"idea": {"{idea}"}, "action": {"hide"}},
	"/admin/settings":        {"name": {"Forged portal"}, "approval": {"all"}, "private": {"on"}},
	"/admin/statuses":        {"name": {"Forged status"}, "color": {"#123456"}, "category": {"open"}},
	"/admin/statuses/:slug":  {"name": {"Forged name"}, "color": {"#123456"}, "category": {"open"}},
}

// portalState counts what any POST route could change.
func portalState(t *testing.T, db *models.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		"SELECT count(*) FROM ideas",
		"SELECT count(*) FROM ideas WHERE hidden_at IS NOT NULL",
		"SELECT count(*) FROM ideas WHERE merged_into_id IS NOT NULL",
		"SELECT count(*) FROM ideas i JOIN statuses s ON s.id = i.status_id WHERE s.slug <> 'open'",
		"SELECT count(*) FROM ideas WHERE roadmap_position <> 0",
		"SELECT count(*) FROM votes",
		"SELECT count(*) FROM comments",
		"SELECT count(*) FROM comments WHERE hidden_at IS NOT NULL OR body LIKE 'forged%'",
		"SELECT count(*) FROM subscriptions",
		"SELECT count(*) FROM events",
		"SELECT count(*) FROM boards",
		"SELECT count(*) FROM boards WHERE is_private",
		"SELECT count(*) FROM users WHERE role = 'admin'",
		"SELECT count(*) FROM users WHERE role = 'staff'",
		"SELECT count(*) FROM users WHERE blocked_at IS NOT NULL",
		"SELECT count(*) FROM login_tokens",
		"SELECT count(*) FROM login_tokens WHERE used_at IS NULL",
		"SELECT count(*) FROM sessions",
		"SELECT count(*) FROM notifications WHERE read_at IS NOT NULL",
		"SELECT count(*) FROM users WHERE NOT notify_status OR NOT notify_comments OR notify_digest",
		"SELECT count(*) FROM jobs WHERE state = 'failed'",
		"SELECT count(*) FROM api_keys WHERE revoked_at IS NULL",
		"SELECT count(*) FROM webhooks",
		"SELECT count(*) FROM webhooks WHERE disabled_at IS NULL",
		"SELECT count(*) FROM reports",
		"SELECT count(*) FROM ideas WHERE moderation <> ''",
		"SELECT count(*) FROM comments WHERE moderation <> ''",
		"SELECT count(*) FROM settings",
		"SELECT count(*) FROM statuses",
		"SELECT count(*) FROM statuses WHERE name LIKE 'Forged%'",
	} {
		fmt.Fprintf(&b, "%s = %d\n", q, dbtest.Count(t, db, q))
	}
	return b.String()
}

// Every POST route, as the router lists it, refuses a request without a
// valid token with 403 and changes nothing, even from the people allowed to
// use it. A new route is covered the day it is registered.
func TestEveryPostRouteNeedsCSRF(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		ctx := t.Context()
		admin := dbtest.User(t, db, "Admin", "admin@example.com", models.RoleAdmin)
		member := dbtest.User(t, db, "Member", "member@example.com", models.RoleMember)
		dbtest.User(t, db, "Target", "target@example.com", models.RoleMember)
		if _, err := models.BlockUser(ctx, db, dbtest.User(t, db, "Blocked", "blocked@example.com", models.RoleMember).EmailAddress()); err != nil {
			t.Fatal(err)
		}

		var routes []string
		seen := map[string]bool{}
		for _, r := range ta.fiber.GetRoutes(true) {
			if r.Method == http.MethodPost && !seen[r.Path] {
				seen[r.Path] = true
				routes = append(routes, r.Path)
			}
		}
		sort.Strings(routes)
		if len(routes) < 20 {
			t.Fatalf("only %d POST routes found: %v", len(routes), routes)
		}
		for path := range csrfExempt {
			if !seen[path] {
				t.Errorf("exempt route %s is not registered", path)
			}
		}

		for _, route := range routes {
			if _, ok := csrfExempt[route]; ok {
				continue
			}
			// Fresh things for each route, so that no route's success
			// below hides what another does.
			// A route that turned approval on must not hide the next
			// route's fresh idea.
			if _, err := db.Bun().NewDelete().Table("settings").Where("key = 'site_approval'").Exec(ctx); err != nil {
				t.Fatal(err)
			}
			idea, err := models.CreateIdea(ctx, db, models.NewIdea{Author: member, Board: "feature-requests", Title: "Target of " + route})
			if err != nil {
				t.Fatal(err)
			}
			other, err := models.CreateIdea(ctx, db, models.NewIdea{Author: member, Board: "feature-requests", Title: "Other for " + route})
			if err != nil {
				t.Fatal(err)
			}
			comment, err := models.CreateComment(ctx, db, models.NewComment{IdeaID: idea.ID, Author: member, Body: "A comment"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := models.ReportThing(ctx, db, idea.ID, 0, admin, "A report to resolve"); err != nil {
				t.Fatal(err)
			}
			board, err := models.CreateBoard(ctx, db, models.BoardInput{Name: "Board for " + route, Slug: fmt.Sprintf("board-%d", idea.ID), Position: "5"}, admin)
			if err != nil {
				t.Fatal(err)
			}
			token, err := models.CreateLoginLink(ctx, db, "linked@example.com", "/", "")
			if err != nil {
				t.Fatal(err)
			}
			job, err := failedJob(ctx, db, "mail:"+route)
			if err != nil {
				t.Fatal(err)
			}
			ids := map[string]string{
				"{idea}": strconv.FormatInt(idea.ID, 10), "{other}": strconv.FormatInt(other.ID, 10),
				"{comment}": strconv.FormatInt(comment.ID, 10), "{board}": strconv.FormatInt(board.ID, 10), "{boardslug}": board.Slug,
			}
			path := strings.NewReplacer(":cid", ids["{comment}"], ":token", token).Replace(route)
			if strings.HasPrefix(route, "/admin/boards/") {
				path = strings.Replace(path, ":id", ids["{board}"], 1)
			}
			if strings.HasPrefix(route, "/admin/api/keys/") {
				key, _, err := models.CreateAPIKey(ctx, db, "Key for "+route+strconv.FormatInt(idea.ID, 10), models.ScopeRead)
				if err != nil {
					t.Fatal(err)
				}
				path = strings.Replace(path, ":id", strconv.FormatInt(key.ID, 10), 1)
			}
			if strings.HasPrefix(route, "/admin/api/webhooks/") {
				hook, err := models.CreateWebhook(ctx, db, models.NewWebhook{URL: "https://203.0.113.9/" + route, Events: []string{models.HookIdeaCreated}, Actor: admin})
				if err != nil {
					t.Fatal(err)
				}
				if err := models.DisableWebhook(ctx, db, hook.ID, "for the enable route"); err != nil {
					t.Fatal(err)
				}
				path = strings.Replace(path, ":id", strconv.FormatInt(hook.ID, 10), 1)
			}
			if strings.HasPrefix(route, "/admin/deliveries/") {
				path = strings.Replace(path, ":id", strconv.FormatInt(job, 10), 1)
			}
			path = strings.Replace(path, ":id", ids["{idea}"], 1)
			path = strings.Replace(path, ":slug", "under_review", 1) // a status
			if strings.Contains(path, ":") {
				t.Fatalf("%s: no id for the parameter in %s", route, path)
			}
			form := func(token string) url.Values {
				f := url.Values{}
				for k, vs := range csrfForms[route] {
					for _, v := range vs {
						if id, ok := ids[v]; ok {
							v = id
						}
						f.Add(k, v)
					}
				}
				if token != "" {
					f.Set("_csrf", token)
				}
				return f
			}

			for _, who := range []*models.User{member, admin} {
				c := ta.client()
				c.signInAs(who)
				elsewhere := ta.client()
				elsewhere.signInAs(who) // the same person's other session
				before := portalState(t, db)
				for name, f := range map[string]url.Values{
					"no token":                  form(""),
					"a wrong token":             form("forged"),
					"another session's token":   form(elsewhere.csrf()),
					"a signed-out page's token": form(ta.csrfFor("", c.cookies[ta.csrfCookieName()])),
				} {
					b := wantStatus(t, c.postRaw(path, f), http.StatusForbidden)
					if !strings.Contains(b, "did not come from this site") {
						t.Errorf("%s as %s with %s: refused for another reason:\n%s", route, who.Name, name, excerptOf(b))
					}
				}
				wantStatus(t, c.postRaw(path, form(""), "Accept", "application/json"), http.StatusForbidden)
				if after := portalState(t, db); after != before {
					t.Fatalf("%s as %s without a valid token changed the portal:\nbefore:\n%safter:\n%s", route, who.Name, before, after)
				}
			}

			// The same request with its token reaches the handler: the
			// route and its ids are real. The member tries first; a route
			// the member may not use is tried by the admin.
			var status int
			var b string
			for _, who := range []*models.User{member, admin} {
				c := ta.client()
				c.signInAs(who)
				resp := c.postRaw(path, form(c.csrf()))
				status, b = resp.StatusCode, body(t, resp)
				if status != http.StatusForbidden {
					break
				}
			}
			if status == http.StatusForbidden || status == http.StatusNotFound || status >= 500 {
				t.Errorf("%s with its token answered %d:\n%s", route, status, excerptOf(b))
			}
		}
	})
}

// failedJob stores a delivery that gave up, for the retry route.
func failedJob(ctx context.Context, db *models.DB, key string) (int64, error) {
	if _, err := models.Enqueue(ctx, db, models.NewJob{Kind: models.JobMail, Key: key, Args: models.MailArgs{}, RunAt: db.Now().Add(-time.Hour)}); err != nil {
		return 0, err
	}
	var j models.Job
	if err := db.Bun().NewSelect().Model(&j).Where("key = ?", key).Scan(ctx); err != nil {
		return 0, err
	}
	_, err := models.FailJob(ctx, db, &j, errors.New("550 no such mailbox"), true)
	return j.ID, err
}
