package app

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// triageTitles lists the titles a triage page shows, in order.
func triageTitles(page string) []string {
	var ts []string
	for _, m := range regexp.MustCompile(`<h2 class="idea-title"><a href="[^"]*">([^<]*)</a>`).FindAllStringSubmatch(page, -1) {
		ts = append(ts, m[1])
	}
	return ts
}

// weighedPortal is the worked example: three free voters want "Dark
// mode"; two people of Acme ($1,000 a month, counted once) want "SAML
// sign-in", and one of them says it is critical; one person of Beta
// ($500, on the pro plan) wants a title that tries to be a formula.
type weighedPortal struct {
	staff, member       *models.User
	acme1, acme2, beta  *models.User
	dark, saml, formula *models.Idea
}

func newWeighedPortal(t *testing.T, ta *testApp) *weighedPortal {
	db := ta.db
	p := &weighedPortal{
		staff:  dbtest.User(t, db, "Sam Staff", "sam@example.com", models.RoleStaff),
		member: dbtest.User(t, db, "Mia", "mia@example.com", models.RoleMember),
		acme1:  dbtest.Customer(t, db, "Ann Acme", "ann@acme.test", "Acme", "enterprise", 100000),
		acme2:  dbtest.Customer(t, db, "@Al Acme", "al@acme.test", "Acme", "enterprise", 60000),
		beta:   dbtest.Customer(t, db, "Bea Beta", "bea@beta.test", "-Beta", "pro", 50000),
	}
	p.dark = dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.member, Title: "Dark mode"})
	p.saml = dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.member, Title: "SAML sign-in"})
	p.formula = dbtest.Idea(t, db, dbtest.IdeaSpec{Author: p.member, Title: `=HYPERLINK("http://evil.test","Click")`})
	for i := 0; i < 3; i++ {
		u := dbtest.User(t, db, fmt.Sprintf("Free %d", i), fmt.Sprintf("free%d@example.com", i), models.RoleMember)
		dbtest.Vote(t, db, p.dark, u, ta.clock.T.Add(-time.Duration(i)*7*24*time.Hour))
	}
	ctx := t.Context()
	if _, err := models.VoteWith(ctx, db, p.saml.ID, p.acme1.ID, models.ImportanceCritical); err != nil {
		t.Fatal(err)
	}
	if _, err := models.VoteWith(ctx, db, p.saml.ID, p.acme2.ID, models.ImportanceNice); err != nil {
		t.Fatal(err)
	}
	if _, err := models.VoteFor(ctx, db, p.formula.ID, p.beta.ID); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTriageWeighsRevenueAndPlans(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		p := newWeighedPortal(t, ta)
		c := ta.client()
		c.signInAs(p.staff)
		formula := `=HYPERLINK(&#34;http://evil.test&#34;,&#34;Click&#34;)`
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"", []string{"Dark mode", "SAML sign-in", formula}},
			{"?sort=votes", []string{"Dark mode", "SAML sign-in", formula}},
			{"?sort=revenue", []string{"SAML sign-in", formula, "Dark mode"}},
			{"?sort=trend", []string{"SAML sign-in", "Dark mode", formula}}, // 2 votes now outweigh 1 + ½ + ¼
			{"?sort=revenue&plan=enterprise", []string{"SAML sign-in"}},
			{"?plan=pro", []string{formula}},
			{"?plan=nobody", nil},
		} {
			page := wantStatus(t, c.get("/triage"+tc.query), http.StatusOK)
			if got := triageTitles(page); strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("/triage%s: %q, want %q", tc.query, got, tc.want)
			}
		}
		page := wantStatus(t, c.get("/triage?sort=revenue"), http.StatusOK)
		for _, want := range []string{
			"$1,000/mo at stake", "$500/mo at stake", "$0/mo at stake", "1 critical",
			// Dark mode's votes: one this week, one last week, one the week before.
			`aria-label="3 votes over the last 12 weeks, by week, oldest first: 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1"`,
			`aria-label="2 votes over the last 12 weeks, by week, oldest first: 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2"`,
			`<option value="enterprise">enterprise</option>`, `href="/triage.csv?sort=revenue"`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("triage page lacks %q", want)
			}
		}
	})
}

func TestTriageAndVotersCSV(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		p := newWeighedPortal(t, ta)
		c := ta.client()
		c.signInAs(p.staff)

		resp := c.get("/triage.csv?sort=revenue")
		got := wantStatus(t, resp, http.StatusOK)
		if ct := resp.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="triage.csv"` {
			t.Errorf("Content-Disposition %q", cd)
		}
		created := ta.clock.T.UTC().Format(time.RFC3339)
		row := func(i *models.Idea, title string, votes, critical int, revenue, weeks string) string {
			return fmt.Sprintf("%d,%s,http://portal.test/ideas/%d/%s,Feature requests,Open,%d,%d,%s,%s,%s\n",
				i.ID, title, i.ID, i.Slug, votes, critical, revenue, weeks, created)
		}
		want := "id,title,url,board,status,votes,critical_votes,revenue,votes_per_week,created_at\n" +
			row(p.saml, "SAML sign-in", 2, 1, "1000.00", "0 0 0 0 0 0 0 0 0 0 0 2") +
			row(p.formula, `"'=HYPERLINK(""http://evil.test"",""Click"")"`, 1, 0, "500.00", "0 0 0 0 0 0 0 0 0 0 0 1") +
			row(p.dark, "Dark mode", 3, 0, "0.00", "0 0 0 0 0 0 0 0 0 1 1 1")
		if got != want {
			t.Errorf("triage.csv:\n%s\nwant:\n%s", got, want)
		}
		if got := wantStatus(t, c.get("/triage.csv?plan=pro"), http.StatusOK); strings.Count(got, "\n") != 2 || !strings.Contains(got, "'=HYPERLINK") {
			t.Errorf("triage.csv?plan=pro:\n%s", got)
		}

		resp = c.get(fmt.Sprintf("/ideas/%d/voters.csv", p.saml.ID))
		got = wantStatus(t, resp, http.StatusOK)
		if cd := resp.Header.Get("Content-Disposition"); cd != fmt.Sprintf(`attachment; filename="idea-%d-voters.csv"`, p.saml.ID) {
			t.Errorf("Content-Disposition %q", cd)
		}
		at := ta.clock.T.UTC().Format(time.RFC3339)
		want = "email,name,company,plan,mrr,importance,voted_at\n" +
			"ann@acme.test,Ann Acme,Acme,enterprise,1000.00,critical," + at + "\n" +
			"al@acme.test,'@Al Acme,Acme,enterprise,600.00,nice," + at + "\n"
		if got != want {
			t.Errorf("voters.csv:\n%s\nwant:\n%s", got, want)
		}
		got = wantStatus(t, c.get(fmt.Sprintf("/ideas/%d/voters.csv", p.formula.ID)), http.StatusOK)
		if want := "email,name,company,plan,mrr,importance,voted_at\nbea@beta.test,Bea Beta,'-Beta,pro,500.00,," + at + "\n"; got != want {
			t.Errorf("voters.csv:\n%s\nwant:\n%s", got, want)
		}

		// Members get 403, visitors 401, and an unknown idea is 404.
		m := ta.client()
		m.signInAs(p.member)
		visitor := ta.client()
		for _, path := range []string{"/triage.csv", fmt.Sprintf("/ideas/%d/voters.csv", p.saml.ID)} {
			if got := m.get(path).StatusCode; got != http.StatusForbidden {
				t.Errorf("member %s: %d, want 403", path, got)
			}
			if got := visitor.get(path).StatusCode; got != http.StatusUnauthorized {
				t.Errorf("visitor %s: %d, want 401", path, got)
			}
		}
		if got := m.get("/triage").StatusCode; got != http.StatusForbidden {
			t.Errorf("member /triage: %d, want 403", got)
		}
		if resp := visitor.get("/triage"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
			t.Errorf("visitor /triage: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		for _, path := range []string{"/ideas/999999/voters.csv", "/ideas/abc/voters.csv"} {
			if got := c.get(path).StatusCode; got != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", path, got)
			}
		}
		if got := c.get("/triage.csv?after=garbage").StatusCode; got != http.StatusUnprocessableEntity {
			t.Errorf("bad cursor: %d, want 422", got)
		}
	})
}

func TestVoteImportanceAndWhoIsAsking(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		ta := newTestApp(t, db)
		p := newWeighedPortal(t, ta)
		path := ideaPath(p.dark.ID, p.dark.Slug)
		c := ta.client()
		c.signInAs(p.beta)

		page := wantStatus(t, c.get(path), http.StatusOK)
		if !strings.Contains(page, "How much does this matter to you?") || strings.Contains(page, "Who is asking") {
			t.Error("a customer's idea page: no importance form, or staff's view of voters")
		}
		resp := c.post(fmt.Sprintf("/ideas/%d/vote", p.dark.ID), url.Values{"importance": {"urgent"}})
		page = wantStatus(t, resp, http.StatusUnprocessableEntity)
		if !strings.Contains(page, "Choose nice to have, important or critical.") {
			t.Error("422 without the message")
		}
		if got := dbtest.Reload(t, db, p.dark.ID); got.VotesCount != 3 {
			t.Fatalf("a refused vote counted: %d", got.VotesCount)
		}
		wantStatus(t, c.post(fmt.Sprintf("/ideas/%d/vote", p.dark.ID), url.Values{"importance": {"critical"}}), http.StatusSeeOther)
		wantStatus(t, c.post(fmt.Sprintf("/ideas/%d/vote", p.dark.ID), url.Values{"importance": {"important"}}), http.StatusSeeOther)
		got := dbtest.Reload(t, db, p.dark.ID)
		if got.VotesCount != 4 || got.CriticalCount != 0 || got.RevenueCents != 50000 {
			t.Fatalf("after voting and changing importance: %d votes, %d critical, %d cents", got.VotesCount, got.CriticalCount, got.RevenueCents)
		}
		page = wantStatus(t, c.get(path), http.StatusOK)
		if !strings.Contains(page, "You said: Important") || !strings.Contains(page, `value="important" checked`) {
			t.Error("the page does not show the importance given")
		}

		s := ta.client()
		s.signInAs(p.staff)
		page = wantStatus(t, s.get(ideaPath(p.saml.ID, p.saml.Slug)), http.StatusOK)
		for _, want := range []string{"Who is asking", "Acme · $1,000/mo · 2 voters", "Ann Acme", "1 critical", "1 nice to have",
			fmt.Sprintf(`href="/ideas/%d/voters.csv"`, p.saml.ID)} {
			if !strings.Contains(page, want) {
				t.Errorf("staff idea page lacks %q", want)
			}
		}
	})
}

// OpenID Connect claims company, plan and mrr set who the person is to
// the company at each sign-in, and the revenue at stake of what they voted
// for follows.
func TestOIDCClaimsCarryCustomerAttributes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *models.DB) {
		m := startOIDC(t)
		ta := oidcApp(t, db, m, nil)
		author := dbtest.User(t, db, "Author", "author@example.com", models.RoleMember)
		idea := dbtest.Idea(t, db, dbtest.IdeaSpec{Author: author, Title: "Audit log"})
		signIn := func(p oidcPerson) *models.User {
			t.Helper()
			c := ta.client()
			m.QueueUser(p)
			wantStatus(t, c.get(atProvider(t, beginOAuth(t, c, "/auth/oidc"))), http.StatusSeeOther)
			u, err := models.UserByEmail(t.Context(), db, p.email)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		u := signIn(oidcPerson{sub: "s1", email: "cy@corp.test", name: "Cy", verified: true, company: "Corp", plan: "enterprise", mrr: 1234.5})
		if u.Company != "Corp" || u.Plan != "enterprise" || u.MRRCents != 123450 {
			t.Fatalf("after sign-in: %q %q %d", u.Company, u.Plan, u.MRRCents)
		}
		if _, err := models.VoteFor(t.Context(), db, idea.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		// Next time the provider says the revenue grew (as a string).
		u = signIn(oidcPerson{sub: "s1", email: "cy@corp.test", name: "Cy", verified: true, company: "Corp", plan: "enterprise", mrr: "2000"})
		if got := dbtest.Reload(t, db, idea.ID); u.MRRCents != 200000 || got.RevenueCents != 200000 {
			t.Fatalf("after the second sign-in: mrr %d, revenue at stake %d", u.MRRCents, got.RevenueCents)
		}
		// Claims left out keep what is stored.
		u = signIn(oidcPerson{sub: "s1", email: "cy@corp.test", name: "Cy", verified: true})
		if u.Company != "Corp" || u.Plan != "enterprise" || u.MRRCents != 200000 {
			t.Fatalf("without claims: %q %q %d", u.Company, u.Plan, u.MRRCents)
		}
	})
}
