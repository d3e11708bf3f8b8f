package app

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// showIdea shows an idea at its canonical address; /ideas/:id and wrong
// slugs redirect there.
func (a *App) showIdea(c *fiber.Ctx) error {
	slug := c.Params("slug")
	if strings.Contains(slug, ".") {
		return c.Next() // /ideas/:id/feed.rss and the like belong to other routes
	}
	idea, err := a.visibleIdea(c)
	if err != nil {
		return err
	}
	if slug != idea.Slug {
		return c.Redirect(ideaPath(idea.ID, idea.Slug), fiber.StatusMovedPermanently)
	}
	return a.renderIdea(c, fiber.StatusOK, idea, fiber.Map{"Reported": c.Query("reported") == "1"})
}

// timelineItem is one event as the idea page tells it.
type timelineItem struct {
	Event    models.Event
	Text     string // what happened, after the actor's name
	Status   *models.Status
	Response string // sanitized HTML of a status change's response
}

func timelineItems(events []models.Event, statuses []models.Status) []timelineItem {
	items := make([]timelineItem, 0, len(events))
	for _, e := range events {
		it := timelineItem{Event: e}
		switch e.Kind {
		case models.EventIdeaCreated:
			it.Text = "posted this idea"
		case models.EventCommented:
			it.Text = "commented"
		case models.EventStatusChanged:
			var sc models.StatusChange
			_ = json.Unmarshal([]byte(e.Payload), &sc)
			it.Text = "changed the status to"
			for i := range statuses {
				if statuses[i].Slug == sc.To {
					it.Status = &statuses[i]
				}
			}
			if it.Status == nil {
				it.Status = &models.Status{Slug: sc.To, Name: sc.ToName, Color: "#64748b"}
			}
			it.Response = sc.ResponseHTML
		case models.EventMerged:
			it.Text = "merged this idea into another one"
		case models.EventMergedInto:
			it.Text = "merged a duplicate idea into this one"
		default:
			continue
		}
		items = append(items, it)
	}
	return items
}

// importanceChoice is an importance a voter may give, as the form names it.
type importanceChoice struct{ Value, Label string }

var importanceChoices = []importanceChoice{
	{models.ImportanceNice, "Nice to have"},
	{models.ImportanceImportant, "Important"},
	{models.ImportanceCritical, "Critical"},
}

// renderIdea shows the idea page; extra carries form state after a failed
// comment or edit.
func (a *App) renderIdea(c *fiber.Ctx, status int, idea *models.Idea, extra fiber.Map) error {
	ctx := c.UserContext()
	user := currentUser(c)
	statuses, err := models.Statuses(ctx, a.db)
	if err != nil {
		return err
	}
	events, err := models.IdeaTimeline(ctx, a.db, idea.ID)
	if err != nil {
		return err
	}
	comments, err := models.IdeaComments(ctx, a.db, idea.ID, user)
	if err != nil {
		return err
	}
	var voted, subscribed bool
	var importance string
	if user != nil {
		if voted, err = models.HasVoted(ctx, a.db, idea.ID, user.ID); err != nil {
			return err
		}
		if voted {
			if importance, err = models.VoteImportance(ctx, a.db, idea.ID, user.ID); err != nil {
				return err
			}
		}
		if subscribed, err = models.IsSubscribed(ctx, a.db, idea.ID, user.ID); err != nil {
			return err
		}
	}
	var mergedInto *models.Idea
	if idea.MergedIntoID != nil {
		mergedInto, err = models.IdeaByID(ctx, a.db, *idea.MergedIntoID, user)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
	}
	// Staff see who is asking: the voters by company, with their plan and
	// revenue, and how much the idea matters to them.
	var asking *models.Asking
	if user.IsStaff() {
		if asking, err = models.WhoIsAsking(ctx, a.db, idea.ID); err != nil {
			return err
		}
	}
	editable := map[int64]bool{}
	for _, cm := range comments {
		editable[cm.ID] = cm.EditableBy(user, a.db.Now())
	}
	data := fiber.Map{
		"Title":           idea.Title,
		"Description":     idea.Excerpt(160),
		"Canonical":       ideaPath(idea.ID, idea.Slug),
		"Idea":            idea,
		"Statuses":        statuses,
		"Timeline":        events,
		"TimelineItems":   timelineItems(events, statuses),
		"Comments":        comments,
		"Editable":        editable,
		"Voted":           voted,
		"Importance":      importance,
		"Importances":     importanceChoices,
		"ImportanceError": "",
		"Asking":          asking,
		"Subscribed":      subscribed,
		"MergedInto":      mergedInto,
		"TakesVotes":      idea.Status == nil || idea.Status.TakesVotes(),
		"CommentMax":      models.CommentMaxRunes,
		"CommentBody":     "",
		"CommentError":    "",
		"EditID":          int64(0),
		"EditBody":        "",
		"EditError":       "",
		"Reported":        false,
		"ReportFor":       int64(0),
		"ReportReason":    "",
		"ReportError":     "",
	}
	// Only ideas anyone may see have a feed.
	if idea.Public() && idea.MergedIntoID == nil {
		f := feedLinks(ideaFeedPath(idea.ID), "Updates on “"+idea.Title+"”")
		data["Feeds"], data["Follow"] = f.Links, f
	}
	for k, v := range extra {
		data[k] = v
	}
	return a.render(c, status, "idea", data)
}

// newIdea shows the form for posting an idea. With ?check=1 (the form's
// "check for similar ideas" button) it also lists ideas similar to the
// title, for visitors without JavaScript.
func (a *App) newIdea(c *fiber.Ctx) error {
	ctx := c.UserContext()
	user := currentUser(c)
	boards, err := models.Boards(ctx, a.db, user)
	if err != nil {
		return err
	}
	form := models.NewIdea{Title: c.Query("title"), Body: c.Query("body"), Board: c.Query("board")}
	if form.Board == "" && len(boards) > 0 {
		form.Board = boards[0].Slug
	}
	data := fiber.Map{"Form": form, "Boards": boards, "Errors": map[string]string{}}
	if c.Query("check") != "" {
		similar, err := models.SimilarIdeas(ctx, a.db, form.Title+" "+form.Body, user, models.SimilarLimit)
		if err != nil {
			return err
		}
		data["Similar"] = similar
		data["Checked"] = true
	}
	return a.renderNewIdea(c, fiber.StatusOK, data)
}

func (a *App) renderNewIdea(c *fiber.Ctx, status int, data fiber.Map) error {
	data["Title"] = "Post an idea"
	data["TitleMin"] = models.TitleMinRunes
	data["TitleMax"] = models.TitleMaxRunes
	data["BodyMax"] = models.BodyMaxRunes
	return a.render(c, status, "new_idea", data)
}

// createIdea posts an idea and goes straight to its page.
func (a *App) createIdea(c *fiber.Ctx) error {
	ctx := c.UserContext()
	user := currentUser(c)
	form := models.NewIdea{Author: user, Title: c.FormValue("title"), Body: c.FormValue("body"), Board: c.FormValue("board")}
	if caughtByHoneypot(c) {
		// Answered as a post would be, to the list; nothing is stored.
		a.log.Info("honeypot", "form", "idea")
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	boards, err := models.Boards(ctx, a.db, user)
	if err != nil {
		return err
	}
	if form.Board == "" && len(boards) == 1 {
		form.Board = boards[0].Slug
	}
	idea, err := models.CreateIdea(ctx, a.db, form)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		if wantsJSON(c) {
			return c.Status(fiber.StatusUnprocessableEntity).JSON(fiber.Map{"error": "Please correct the form.", "fields": ve.Fields, "status": fiber.StatusUnprocessableEntity})
		}
		return a.renderNewIdea(c, fiber.StatusUnprocessableEntity, fiber.Map{"Form": form, "Boards": boards, "Errors": ve.Fields})
	}
	if err != nil {
		return err
	}
	a.log.Info("idea created", "id", idea.ID, "user", user.ID)
	return c.Redirect(ideaPath(idea.ID, idea.Slug), fiber.StatusSeeOther)
}

// similarIdea is one suggestion as JSON.
type similarIdea struct {
	ID       int64  `json:"id"`
	Title    string `json:"title"`
	URL      string `json:"url"`
	Votes    int    `json:"votes"`
	Comments int    `json:"comments"`
	Status   string `json:"status"`
}

// similarIdeas answers ?q= with up to five similar ideas: JSON for scripts
// that ask for it, else an HTML fragment. With ?merge=ID (the staff merge
// picker) it offers only ideas that idea may be merged into.
func (a *App) similarIdeas(c *fiber.Ctx) error {
	ctx, user := c.UserContext(), currentUser(c)
	q := c.Query("q")
	if len(q) > 1000 {
		q = q[:1000]
	}
	var ideas []models.Idea
	if raw := c.Query("merge"); raw != "" {
		id, err := parseID(raw)
		if err != nil {
			return err
		}
		dup, err := models.IdeaByID(ctx, a.db, id, user)
		if err != nil {
			return err
		}
		ideas, err = models.MergeTargets(ctx, a.db, q, dup, models.SimilarLimit)
		if err != nil {
			return err
		}
	} else {
		var err error
		if ideas, err = models.SimilarIdeas(ctx, a.db, q, user, models.SimilarLimit); err != nil {
			return err
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderVary, "Accept, Cookie")
	// JSON unless HTML is asked for: scripts and API clients get data, and a
	// browser opening the address gets a readable fragment.
	if !strings.Contains(c.Get(fiber.HeaderAccept), fiber.MIMETextHTML) || wantsJSON(c) {
		out := make([]similarIdea, len(ideas))
		for i, idea := range ideas {
			out[i] = similarIdea{ID: idea.ID, Title: idea.Title, URL: ideaPath(idea.ID, idea.Slug), Votes: idea.VotesCount, Comments: idea.CommentsCount}
			if idea.Status != nil {
				out[i].Status = idea.Status.Name
			}
		}
		return c.JSON(fiber.Map{"ideas": out})
	}
	return a.respondHTML(c, fiber.StatusOK, "partials/similar", "", fiber.Map{"Similar": ideas, "Checked": true})
}

// subscribeIdea makes the signed-in user follow the idea.
func (a *App) subscribeIdea(c *fiber.Ctx) error {
	idea, err := a.visibleIdea(c)
	if err != nil {
		return err
	}
	if err := models.Subscribe(c.UserContext(), a.db, idea.ID, currentUser(c).ID); err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"subscribed": true})
	}
	return a.goBack(c, ideaPath(idea.ID, idea.Slug))
}

// unsubscribeIdea stops the signed-in user following the idea.
func (a *App) unsubscribeIdea(c *fiber.Ctx) error {
	idea, err := a.visibleIdea(c)
	if err != nil {
		return err
	}
	if err := models.Unsubscribe(c.UserContext(), a.db, idea.ID, currentUser(c).ID); err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"subscribed": false})
	}
	return a.goBack(c, ideaPath(idea.ID, idea.Slug))
}
