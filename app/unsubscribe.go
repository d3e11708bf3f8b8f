package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// One-click unsubscribe (RFC 8058). Every mail carries a link signed for
// its recipient and its idea (idea 0: the staff digest). A POST to it, from
// a mail provider's button or the confirming page, stops that mail with no
// cookie and no CSRF token: the signature is the authority, and it names
// one person and one idea only. A GET only shows the confirming page, since
// mail scanners open links.

// unsubscribeToken signs "stop mailing user about idea".
func (a *App) unsubscribeToken(userID, ideaID int64) string {
	body := strconv.FormatInt(userID, 10) + "." + strconv.FormatInt(ideaID, 10)
	return body + "." + a.unsubscribeMAC(body)
}

func (a *App) unsubscribeMAC(body string) string {
	m := hmac.New(sha256.New, a.secret)
	m.Write([]byte("unsubscribe:" + body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// readUnsubscribeToken checks the token in :token; a forged or altered one
// is not found.
func (a *App) readUnsubscribeToken(c *fiber.Ctx) (userID, ideaID int64, err error) {
	raw := c.Params("token")
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return 0, 0, fiber.ErrNotFound
	}
	body := parts[0] + "." + parts[1]
	if !hmac.Equal([]byte(parts[2]), []byte(a.unsubscribeMAC(body))) {
		return 0, 0, fiber.ErrNotFound
	}
	if userID, err = parseID(parts[0]); err != nil {
		return 0, 0, err
	}
	if parts[1] == "0" {
		return userID, 0, nil
	}
	ideaID, err = parseID(parts[1])
	return userID, ideaID, err
}

// unsubscribeView is what the unsubscribe page says.
type unsubscribeView struct {
	What   string // "emails about “Dark mode”", or "the daily digest"
	Action string // where the button posts
	Done   bool
}

// showUnsubscribe asks to confirm with a button.
func (a *App) showUnsubscribe(c *fiber.Ctx) error {
	v, err := a.unsubscribeTarget(c)
	if err != nil {
		return err
	}
	return a.render(c, fiber.StatusOK, "unsubscribe", fiber.Map{"Title": "Unsubscribe", "Unsubscribe": v})
}

// unsubscribe stops the mail the token names and says so, 200.
func (a *App) unsubscribe(c *fiber.Ctx) error {
	v, err := a.unsubscribeTarget(c)
	if err != nil {
		return err
	}
	userID, ideaID, _ := a.readUnsubscribeToken(c)
	if ideaID == 0 {
		err = models.StopDigest(c.UserContext(), a.db, userID)
	} else {
		err = models.Unsubscribe(c.UserContext(), a.db, ideaID, userID)
	}
	if err != nil {
		return err
	}
	a.log.Info("unsubscribed", "user", userID, "idea", ideaID)
	v.Done = true
	return a.render(c, fiber.StatusOK, "unsubscribe", fiber.Map{"Title": "Unsubscribed", "Unsubscribe": v})
}

func (a *App) unsubscribeTarget(c *fiber.Ctx) (unsubscribeView, error) {
	userID, ideaID, err := a.readUnsubscribeToken(c)
	if err != nil {
		return unsubscribeView{}, err
	}
	v := unsubscribeView{What: "the daily digest of new ideas", Action: "/unsubscribe/" + c.Params("token")}
	if ideaID == 0 {
		return v, nil
	}
	user, err := models.UserByID(c.UserContext(), a.db, userID)
	if err != nil {
		return v, err
	}
	v.What = "emails about this idea"
	// The idea is named only to someone who may still see it.
	idea, err := models.IdeaByID(c.UserContext(), a.db, ideaID, user)
	switch {
	case err == nil:
		v.What = fmt.Sprintf("emails about “%s”", idea.Title)
	case !errors.Is(err, models.ErrNotFound):
		return v, err
	}
	return v, nil
}
