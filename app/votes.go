package app

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// voteIdea adds the signed-in user's vote: JSON {"voted","votes"} for
// scripts, else a redirect back.
func (a *App) voteIdea(c *fiber.Ctx) error {
	return a.changeVote(c, models.VoteFor)
}

// unvoteIdea withdraws the signed-in user's vote.
func (a *App) unvoteIdea(c *fiber.Ctx) error {
	return a.changeVote(c, models.Unvote)
}

func (a *App) changeVote(c *fiber.Ctx, change func(ctx context.Context, db *models.DB, ideaID, userID int64) (models.VoteResult, error)) error {
	idea, err := a.visibleIdea(c)
	if err != nil {
		return err
	}
	res, err := change(c.UserContext(), a.db, idea.ID, currentUser(c).ID)
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(res)
	}
	return a.goBack(c, ideaPath(idea.ID, idea.Slug))
}
