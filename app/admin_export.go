package app

import (
	"bufio"
	"context"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// exportPortal streams the whole portal as the document that
// 'cluetrain export' writes, for admins to download.
func (a *App) exportPortal(c *fiber.Ctx) error {
	name := fmt.Sprintf("cluetrain-%s-%s.json", a.cfg.Base.Hostname(), a.db.Now().UTC().Format("2006-01-02"))
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	user := currentUser(c)
	a.log.Info("portal exported", "by", user.ID)
	// The document is written as the client reads it; the response has
	// begun by then, so a failure can only end it early, and is logged.
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
		defer cancel()
		if _, err := models.Export(ctx, a.db, w, nil); err != nil {
			a.log.Error("export for download", "by", user.ID, "err", err)
		}
		_ = w.Flush()
	})
	return nil
}
