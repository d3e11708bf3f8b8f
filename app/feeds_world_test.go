package app

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/app/markdown"
	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// feedWorld is a small portal whose events exercise every feed rule: public
// and private boards, a hidden idea, a merged duplicate, a hidden comment,
// status changes onto, along and off the roadmap, and hostile text.
type feedWorld struct {
	t   *testing.T
	db  *models.DB
	at  time.Time
	ada *models.User
	sam *models.User

	general, mobile, secret *models.Board

	csv, nasty, secretIdea, hiddenIdea, merged, fax *models.Idea
}

// nastyTitle has everything an encoder must escape.
const nastyTitle = `Fish & chips <b>bold</b> ]]> <script>alert("x")</script>`

func newFeedWorld(t *testing.T, db *models.DB) *feedWorld {
	t.Helper()
	w := &feedWorld{t: t, db: db, at: dbtest.Fixed.Add(-30 * 24 * time.Hour)}
	w.ada = dbtest.User(t, db, "Ada Albers", "ada@example.com", models.RoleMember)
	w.sam = dbtest.User(t, db, "Sam <Support> & Co", "sam@example.com", models.RoleStaff)
	ctx := context.Background()
	var err error
	if w.general, err = models.BoardBySlug(ctx, db, "feature-requests", nil); err != nil {
		t.Fatal(err)
	}
	w.mobile = w.board("mobile", "Mobile apps", false)
	w.secret = w.board("secret", "Secret plans", true)

	w.csv = w.idea(w.general, "Export reports as CSV", "It would save us *hours* every week.")            // e1
	w.nasty = w.idea(w.mobile, nastyTitle, "Tom & Jerry <script>alert(1)</script> say ]]> and <b>hi</b>") // e2
	w.secretIdea = w.idea(w.secret, "Acquire a competitor", "Nobody outside may see this.")               // e3
	w.hiddenIdea = w.idea(w.general, "Buy cheap pills", "Spam.")                                          // e4
	w.hide("ideas", w.hiddenIdea.ID)
	w.status(w.csv, "open", "planned", "Good news: this is **planned** for Q3 & beyond.") // e5
	w.comment(w.csv, w.ada, "Great <script>alert(2)</script> news ]]> & thanks", false)   // e6
	w.status(w.secretIdea, "open", "planned", "Secret response.")                         // e7
	w.status(w.hiddenIdea, "open", "planned", "Hidden response.")                         // e8
	spam := w.comment(w.csv, w.ada, "Visit my spam site", false)                          // e9
	w.hide("comments", spam)
	w.event("comment.hidden", w.csv, w.sam, map[string]any{"comment_id": spam})               // e10
	w.merged = w.idea(w.general, "CSV export please", "Same as the other one.")               // e11
	w.comment(w.merged, w.ada, "Comment on the duplicate", false)                             // e12
	w.merge(w.merged, w.csv)                                                                  // e13, e14
	w.status(w.csv, "planned", "in_progress", "")                                             // e15
	w.event(models.EventRoadmapMoved, w.csv, w.sam, map[string]any{})                         // e16
	w.comment(w.csv, w.sam, "We're on it.", true)                                             // e17
	w.status(w.nasty, "open", "under_review", "Looking into <i>it</i>.")                      // e18
	w.status(w.csv, "in_progress", "done", "Shipped in 2.4: export from any report & enjoy.") // e19
	w.fax = w.idea(w.general, "Fax support", "Some of us still fax.")                         // e20
	w.status(w.fax, "open", "planned", "")                                                    // e21
	w.status(w.fax, "planned", "declined", "We've decided against it after all.")             // e22
	return w
}

func (w *feedWorld) tick() time.Time {
	w.at = w.at.Add(90 * time.Minute)
	return w.at
}

func (w *feedWorld) insert(model any) {
	w.t.Helper()
	if _, err := w.db.Bun().NewInsert().Model(model).Exec(context.Background()); err != nil {
		w.t.Fatalf("insert %T: %v", model, err)
	}
}

func (w *feedWorld) exec(query string, args ...any) {
	w.t.Helper()
	if _, err := w.db.Bun().ExecContext(context.Background(), query, args...); err != nil {
		w.t.Fatalf("%s: %v", query, err)
	}
}

func (w *feedWorld) board(slug, name string, private bool) *models.Board {
	b := &models.Board{Slug: slug, Name: name, IsPrivate: private, CreatedAt: w.at}
	w.insert(b)
	return b
}

func (w *feedWorld) statusID(slug string) int64 {
	w.t.Helper()
	s, err := models.StatusBySlug(context.Background(), w.db, slug)
	if err != nil {
		w.t.Fatal(err)
	}
	return s.ID
}

func (w *feedWorld) idea(b *models.Board, title, body string) *models.Idea {
	at := w.tick()
	html := markdown.Render(body)
	i := &models.Idea{
		BoardID: b.ID, AuthorID: w.ada.ID, Title: title, Slug: models.Slugify(title),
		Body: body, BodyHTML: html, Summary: markdown.Summary(html), StatusID: w.statusID("open"),
		TrendScore: models.NoTrend, CreatedAt: at, UpdatedAt: at, LastActivityAt: at,
	}
	w.insert(i)
	w.event(models.EventIdeaCreated, i, w.ada, map[string]any{"title": title})
	return i
}

func (w *feedWorld) status(i *models.Idea, from, to, response string) {
	w.t.Helper()
	s, err := models.StatusBySlug(context.Background(), w.db, to)
	if err != nil {
		w.t.Fatal(err)
	}
	w.exec("UPDATE ideas SET status_id = ? WHERE id = ?", s.ID, i.ID)
	w.event(models.EventStatusChanged, i, w.sam, models.StatusChange{
		From: from, To: to, ToName: s.Name, Response: response, ResponseHTML: markdown.Render(response),
	})
}

func (w *feedWorld) comment(i *models.Idea, author *models.User, body string, staff bool) int64 {
	at := w.tick()
	c := &models.Comment{IdeaID: i.ID, AuthorID: author.ID, Body: body, BodyHTML: markdown.Render(body),
		IsStaff: staff, CreatedAt: at, UpdatedAt: at}
	w.insert(c)
	w.event(models.EventCommented, i, author, models.CommentPayload{CommentID: c.ID, BodyHTML: c.BodyHTML})
	return c.ID
}

func (w *feedWorld) hide(table string, id int64) {
	w.exec("UPDATE "+table+" SET hidden_at = ? WHERE id = ?", w.at, id)
}

func (w *feedWorld) merge(dup, into *models.Idea) {
	w.exec("UPDATE ideas SET merged_into_id = ? WHERE id = ?", into.ID, dup.ID)
	w.event(models.EventMerged, dup, w.sam, map[string]any{"into_id": into.ID, "into_title": into.Title})
	w.event(models.EventMergedInto, into, w.sam, map[string]any{"from_id": dup.ID, "from_title": dup.Title})
}

// event records an event the way the models do, at the next tick.
func (w *feedWorld) event(kind string, i *models.Idea, actor *models.User, payload any) {
	w.t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		w.t.Fatal(err)
	}
	e := &models.Event{Kind: kind, IdeaID: &i.ID, BoardID: &i.BoardID, ActorID: &actor.ID, Payload: string(raw), CreatedAt: w.tick()}
	w.insert(e)
}
