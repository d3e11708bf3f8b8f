package app

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// voteIdea adds the signed-in user's vote, with the importance they give
// in the optional field importance (nice, important, critical); voting
// again with another importance changes it, never the count. JSON
// {"voted","votes"} for scripts, else a redirect back; an unknown
// importance is 422.
func (a *App) voteIdea(c *fiber.Ctx) error {
	importance := strings.Clone(c.FormValue("importance"))
	if !models.ValidImportance(importance) && !wantsJSON(c) {
		idea, err := a.visibleIdea(c)
		if err != nil {
			return err
		}
		return a.renderIdea(c, fiber.StatusUnprocessableEntity, idea, fiber.Map{
			"ImportanceError": "Choose nice to have, important or critical.",
		})
	}
	return a.changeVote(c, func(ctx context.Context, db *models.DB, ideaID, userID int64) (models.VoteResult, error) {
		return models.VoteWith(ctx, db, ideaID, userID, importance)
	})
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
