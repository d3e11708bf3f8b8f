package app

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// describe maps an error to the status code the client gets and the message
// it may read ("" for the status's own friendly words). Server errors never
// carry their text to the client.
func describe(err error) (int, string) {
	var fe *fiber.Error
	var ve *models.ValidationError
	var re *models.RuleError
	switch {
	case errors.As(err, &fe):
		if fe.Code >= 500 {
			return fe.Code, ""
		}
		return fe.Code, fe.Message
	case errors.Is(err, models.ErrNotFound):
		return fiber.StatusNotFound, ""
	case errors.Is(err, models.ErrForbidden):
		return fiber.StatusForbidden, ""
	case errors.Is(err, models.ErrBusy), models.Unavailable(err):
		return fiber.StatusServiceUnavailable, ""
	case errors.As(err, &re):
		return fiber.StatusConflict, re.Msg
	case errors.Is(err, models.ErrConflict):
		return fiber.StatusConflict, ""
	case errors.As(err, &ve):
		return fiber.StatusUnprocessableEntity, ve.Error()
	}
	return fiber.StatusInternalServerError, ""
}

// statusOf is the status code an error answers with.
func statusOf(err error) int {
	status, _ := describe(err)
	return status
}

// handleError is the one place errors become responses. Server errors are
// logged once with the request id; clients never see internals.
func (a *App) handleError(c *fiber.Ctx, err error) error {
	status, msg := describe(err)
	// A request the server could not even read never reached the app's
	// middleware (it has no request id); its error text is the server's and
	// may quote the raw request, cookies included, so it is never shown.
	reached := c.Locals(localRequestID) != nil
	if !reached || msg == "" || msg == http.StatusText(status) || strings.HasPrefix(msg, "Cannot "+c.Method()+" ") {
		msg = friendly(status)
	}
	if !reached {
		c.Set(fiber.HeaderContentSecurityPolicy, a.csp)
		c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		if a.cfg.Secure() {
			c.Set(fiber.HeaderStrictTransportSecurity, hsts)
		}
	}
	if status >= 500 {
		a.log.Error("request failed", "id", c.Locals(localRequestID), "method", c.Method(), "path", loggedPath(c), "status", status, "err", err)
	}
	if status == fiber.StatusServiceUnavailable || status == fiber.StatusTooManyRequests {
		if c.GetRespHeader(fiber.HeaderRetryAfter) == "" {
			c.Set(fiber.HeaderRetryAfter, "1")
		}
	}
	// A failed handler may have half-written a response; start clean.
	c.Response().ResetBody()
	if isAPI(c) {
		return a.problem(c, status, msg, err)
	}
	if wantsJSON(c) || c.Method() != fiber.MethodGet && c.Get(csrfHeader) != "" {
		return c.Status(status).JSON(fiber.Map{"error": msg, "status": status})
	}
	rerr := a.render(c, status, "error", fiber.Map{
		"Title":   http.StatusText(status),
		"Status":  status,
		"Message": msg,
		"Heading": heading(status),
	})
	if rerr != nil {
		a.log.Error("render error page", "id", c.Locals(localRequestID), "err", rerr)
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.Status(status).SendString(msg)
	}
	return nil
}

func heading(status int) string {
	switch status {
	case fiber.StatusNotFound:
		return "We couldn't find that page"
	case fiber.StatusUnauthorized:
		return "We couldn't sign you in"
	case fiber.StatusForbidden:
		return "You can't do that here"
	case fiber.StatusTooManyRequests:
		return "Slow down a little"
	case fiber.StatusBadRequest:
		return "That didn't work"
	case fiber.StatusConflict:
		return "That can't be done right now"
	case fiber.StatusServiceUnavailable:
		return "We're a little busy"
	}
	if status >= 500 {
		return "Something went wrong on our side"
	}
	return http.StatusText(status)
}

func friendly(status int) string {
	switch status {
	case fiber.StatusNotFound:
		return "The page or idea you were looking for doesn't exist, or isn't visible to you."
	case fiber.StatusForbidden:
		return "Your account doesn't have permission for this."
	case fiber.StatusTooManyRequests:
		return "You've made a lot of requests in a short time. Please wait a moment and try again."
	case fiber.StatusRequestEntityTooLarge:
		return "That was more than we can accept in one go."
	case fiber.StatusServiceUnavailable:
		return "The portal is busy for a moment. Please try again."
	}
	if status >= 500 {
		return "The error has been logged and we'll look into it. Please try again in a moment."
	}
	return http.StatusText(status)
}
