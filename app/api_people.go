package app

import (
	"bytes"
	"math"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// The API's people: votes cast and withdrawn on a customer's behalf, and
// customers kept in step with the company's own records.

// apiVoter is a vote with its voter.
type apiVoter struct {
	UserID     int64     `json:"user_id"`
	Name       string    `json:"name"`
	Email      *string   `json:"email"`
	ExternalID *string   `json:"external_id"`
	Company    string    `json:"company"`
	Plan       string    `json:"plan"`
	MRR        float64   `json:"mrr"`
	Importance string    `json:"importance"`
	VotedAt    time.Time `json:"voted_at"`
}

func (a *App) apiListVotes(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if _, err := models.IdeaByID(ctx, a.db, id, apiUser(c)); err != nil {
		return err
	}
	ve := &models.ValidationError{}
	var after int64
	if cur := c.Query("cursor"); cur != "" {
		n, err := strconv.ParseInt(cur, 10, 64)
		if err != nil || n < 0 {
			ve.Add("cursor", "This is not a cursor this list gave.")
		}
		after = n
	}
	limit := 100
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			ve.Add("limit", "Give a number from 1 to 500.")
		}
		limit = n
	}
	if err := ve.Err(); err != nil {
		return err
	}
	vs, next, err := models.IdeaVoters(ctx, a.db, id, after, limit)
	if err != nil {
		return err
	}
	out := struct {
		Votes      []apiVoter `json:"votes"`
		NextCursor *string    `json:"next_cursor"`
	}{Votes: make([]apiVoter, len(vs))}
	for i, v := range vs {
		out.Votes[i] = apiVoter{
			UserID: v.UserID, Name: v.Name, Email: v.Email, ExternalID: v.ExternalID, Company: v.Company, Plan: v.Plan,
			MRR: float64(v.MRRCents) / 100, Importance: v.Importance, VotedAt: v.VotedAt,
		}
	}
	if next != 0 {
		s := strconv.FormatInt(next, 10)
		out.NextCursor = &s
	}
	return c.JSON(out)
}

// voteTarget reads the idea and the voter of a vote on someone's behalf.
func (a *App) voteTarget(c *fiber.Ctx) (ideaID, userID int64, err error) {
	if ideaID, err = pathID(c, "id"); err != nil {
		return 0, 0, err
	}
	if userID, err = pathID(c, "user_id"); err != nil {
		return 0, 0, err
	}
	ctx := c.UserContext()
	idea, err := models.IdeaByID(ctx, a.db, ideaID, apiUser(c))
	if err != nil {
		return 0, 0, err
	}
	voter, err := models.UserByID(ctx, a.db, userID)
	if err != nil {
		return 0, 0, err
	}
	if !voter.CanWrite() {
		return 0, 0, fiber.NewError(fiber.StatusForbidden, "This person is blocked.")
	}
	if !idea.VisibleTo(voter) {
		return 0, 0, fiber.NewError(fiber.StatusForbidden, "This person can't see the idea.")
	}
	return ideaID, userID, nil
}

// apiVote casts a customer's vote, with the importance the optional body
// gives ({"importance": "critical"}).
func (a *App) apiVote(c *fiber.Ctx) error {
	var in struct {
		Importance string `json:"importance"`
	}
	if len(bytes.TrimSpace(c.Body())) > 0 {
		if err := readJSON(c, &in); err != nil {
			return err
		}
	}
	ideaID, userID, err := a.voteTarget(c)
	if err != nil {
		return err
	}
	res, err := models.VoteWith(c.UserContext(), a.db, ideaID, userID, in.Importance)
	if err != nil {
		return err
	}
	a.queue.nudge()
	return c.JSON(res)
}

func (a *App) apiUnvote(c *fiber.Ctx) error {
	ideaID, userID, err := a.voteTarget(c)
	if err != nil {
		return err
	}
	res, err := models.Unvote(c.UserContext(), a.db, ideaID, userID)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// apiPerson is a person as the API shows them.
type apiPerson struct {
	ID         int64     `json:"id"`
	Email      string    `json:"email"`
	Name       string    `json:"name"`
	ExternalID *string   `json:"external_id"`
	Company    string    `json:"company"`
	Plan       string    `json:"plan"`
	MRR        float64   `json:"mrr"`
	CreatedAt  time.Time `json:"created_at"`
}

func (a *App) apiUpsertUser(c *fiber.Ctx) error {
	var in struct {
		Email      string   `json:"email"`
		Name       *string  `json:"name"`
		ExternalID *string  `json:"external_id"`
		Company    *string  `json:"company"`
		Plan       *string  `json:"plan"`
		MRR        *float64 `json:"mrr"`
	}
	if err := readJSON(c, &in); err != nil {
		return err
	}
	up := models.UserUpsert{Email: in.Email, Name: in.Name, ExternalID: in.ExternalID, Company: in.Company, Plan: in.Plan}
	if in.MRR != nil {
		if *in.MRR < 0 || *in.MRR > 1e11 || math.IsNaN(*in.MRR) {
			return &models.ValidationError{Fields: map[string]string{"mrr": "Give a monthly revenue of zero or more."}}
		}
		cents := int64(math.Round(*in.MRR * 100))
		up.MRRCents = &cents
	}
	u, created, err := models.UpsertUser(c.UserContext(), a.db, up)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(apiPerson{
		ID: u.ID, Email: u.EmailAddress(), Name: u.Name, ExternalID: u.ExternalID, Company: u.Company, Plan: u.Plan,
		MRR: float64(u.MRRCents) / 100, CreatedAt: u.CreatedAt,
	})
}
