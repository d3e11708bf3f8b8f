package app

import (
	"context"
	"testing"
	"time"

	"github.com/cluetrain/cluetrain/models"
	"github.com/cluetrain/cluetrain/models/dbtest"
)

// feedWorld is a small portal whose events exercise every feed rule: public
// and private boards, a hidden idea, a merged duplicate, a hidden comment,
// status changes onto, along and off the roadmap, and hostile text. It is
// built through the models functions, as people would build it, one step
// every 90 minutes from 30 days before the test clock's time.
type feedWorld struct {
	t     *testing.T
	db    *models.DB
	clock *dbtest.Clock
	ada   *models.User
	sam   *models.User

	general, mobile, secret *models.Board

	csv, nasty, secretIdea, hiddenIdea, merged, fax *models.Idea

	// adaOnCSV is Ada's first comment on the CSV idea, still shown.
	adaOnCSV int64
}

// nastyTitle has everything an encoder must escape.
const nastyTitle = `Fish & chips <b>bold</b> ]]> <script>alert("x")</script>`

// newFeedWorld builds the world in ta's database and leaves ta's clock at
// dbtest.Fixed. The comments number the events.
func newFeedWorld(t *testing.T, ta *testApp) *feedWorld {
	t.Helper()
	ctx := context.Background()
	w := &feedWorld{t: t, db: ta.db, clock: ta.clock}
	w.clock.T = dbtest.Fixed.Add(-30 * 24 * time.Hour)
	defer func() { w.clock.T = dbtest.Fixed }()

	w.ada = dbtest.User(t, w.db, "Ada Albers", "ada@example.com", models.RoleMember)
	w.sam = dbtest.User(t, w.db, "Sam <Support> & Co", "sam@example.com", models.RoleStaff)
	admin := dbtest.User(t, w.db, "Alex Admin", "alex@example.com", models.RoleAdmin)
	var err error
	if w.general, err = models.BoardBySlug(ctx, w.db, dbtest.DefaultBoard, nil); err != nil {
		t.Fatal(err)
	}
	w.mobile = w.board(admin, "mobile", "Mobile apps", false) // e1
	w.secret = w.board(admin, "secret", "Secret plans", true) // e2

	w.csv = w.idea(w.ada, w.general, "Export reports as CSV", "It would save us *hours* every week.")            // e3
	w.nasty = w.idea(w.ada, w.mobile, nastyTitle, "Tom & Jerry <script>alert(1)</script> say ]]> and <b>hi</b>") // e4
	w.secretIdea = w.idea(w.sam, w.secret, "Acquire a competitor", "Nobody outside may see this.")               // e5
	w.hiddenIdea = w.idea(w.ada, w.general, "Buy cheap pills", "Spam.")                                          // e6
	w.hideIdea(w.hiddenIdea)                                                                                     // e7
	w.status(w.csv, "planned", "Good news: this is **planned** for Q3 & beyond.")                                // e8
	w.adaOnCSV = w.comment(w.csv, w.ada, "Great <script>alert(2)</script> news ]]> & thanks")                    // e9
	w.status(w.secretIdea, "in_progress", "Secret response.")                                                    // e10
	w.status(w.hiddenIdea, "planned", "Hidden response.")                                                        // e11
	spam := w.comment(w.csv, w.ada, "Visit my spam site")                                                        // e12
	w.hideComment(w.csv, spam)                                                                                   // e13
	w.merged = w.idea(w.ada, w.general, "CSV export please", "Same as the other one.")                           // e14
	w.comment(w.merged, w.ada, "Comment on the duplicate")                                                       // e15
	w.merge(w.merged, w.csv)                                                                                     // e16, e17
	w.status(w.csv, "in_progress", "")                                                                           // e18
	w.moveUp(w.csv)                                                                                              // e19, above the secret idea
	w.comment(w.csv, w.sam, "We're on it.")                                                                      // e20
	w.status(w.nasty, "under_review", "Looking into <i>it</i>.")                                                 // e21
	w.status(w.csv, "done", "Shipped in 2.4: export from any report & enjoy.")                                   // e22
	w.fax = w.idea(w.ada, w.general, "Fax support", "Some of us still fax.")                                     // e23
	w.status(w.fax, "planned", "")                                                                               // e24
	w.status(w.fax, "declined", "We've decided against it after all.")                                           // e25
	return w
}

// tick moves the clock on to the next step.
func (w *feedWorld) tick() { w.clock.Advance(90 * time.Minute) }

// check fails the test on a step's error.
func (w *feedWorld) check(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *feedWorld) board(admin *models.User, slug, name string, private bool) *models.Board {
	w.t.Helper()
	w.tick()
	b, err := models.CreateBoard(context.Background(), w.db, models.BoardInput{Name: name, Slug: slug, IsPrivate: private}, admin)
	w.check(err)
	return b
}

func (w *feedWorld) idea(author *models.User, b *models.Board, title, body string) *models.Idea {
	w.t.Helper()
	w.tick()
	i, err := models.CreateIdea(context.Background(), w.db, models.NewIdea{Author: author, Board: b.Slug, Title: title, Body: body})
	w.check(err)
	return i
}

func (w *feedWorld) status(i *models.Idea, to, response string) {
	w.t.Helper()
	w.tick()
	_, err := models.ChangeStatus(context.Background(), w.db, i.ID, w.sam, to, response)
	w.check(err)
}

func (w *feedWorld) comment(i *models.Idea, author *models.User, body string) int64 {
	w.t.Helper()
	w.tick()
	c, err := models.CreateComment(context.Background(), w.db, models.NewComment{IdeaID: i.ID, Author: author, Body: body})
	w.check(err)
	return c.ID
}

func (w *feedWorld) hideIdea(i *models.Idea) {
	w.t.Helper()
	w.tick()
	w.check(models.HideIdea(context.Background(), w.db, i.ID, w.sam, true))
}

func (w *feedWorld) hideComment(i *models.Idea, commentID int64) {
	w.t.Helper()
	w.tick()
	w.check(models.HideComment(context.Background(), w.db, i.ID, commentID, w.sam))
}

func (w *feedWorld) merge(dup, into *models.Idea) {
	w.t.Helper()
	w.tick()
	_, err := models.MergeIdea(context.Background(), w.db, dup.ID, into.ID, w.sam)
	w.check(err)
}

func (w *feedWorld) moveUp(i *models.Idea) {
	w.t.Helper()
	w.tick()
	_, err := models.MoveRoadmapCard(context.Background(), w.db, i.ID, w.sam, models.RoadmapMove{Direction: "up"})
	w.check(err)
}
