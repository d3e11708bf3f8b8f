package app

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"

	"github.com/cluetrain/cluetrain/models"
)

// Sign-in from the company's own app. With SSO_SECRET set, the app sends a
// signed-in customer to /sso?token=JWT&next=/path; the token is HS256 with
// that secret, carries the person's email and an exp at most an hour
// ahead, and may describe them further (sub, name, company, plan, mrr,
// avatar_url). A token with an id (jti) is good for one sign-in. The
// company vouches for the address, so it counts as verified. Every
// refusal is 401 and signs nobody in.

// ssoMaxLifetime bounds how far ahead a token's exp may be.
const ssoMaxLifetime = time.Hour

// ssoClaims is what a token may say about the person.
type ssoClaims struct {
	Email     string   `json:"email"`
	Name      *string  `json:"name"`
	Company   *string  `json:"company"`
	Plan      *string  `json:"plan"`
	MRR       *float64 `json:"mrr"`
	AvatarURL *string  `json:"avatar_url"`
	jwt.RegisteredClaims
}

// errSSO is a token refused; its text is shown on the 401 page.
func errSSO(why string) error {
	return fiber.NewError(fiber.StatusUnauthorized, "This sign-in link from your company's app can't be used: "+why+" Go back to the app and try again.")
}

func (a *App) ssoSignIn(c *fiber.Ctx) error {
	if a.cfg.SSOSecret == "" {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Referrer-Policy", "no-referrer") // the token is in the address
	raw := c.Query("token")
	if raw == "" {
		return errSSO("it carries no token.")
	}
	now := a.db.Now()
	var claims ssoClaims
	_, err := jwt.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) {
		return []byte(a.cfg.SSOSecret), nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithLeeway(30*time.Second),
	)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return errSSO("it has expired.")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return errSSO("it has no expiry (exp).")
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return errSSO("it is not valid yet.")
	case err != nil:
		a.log.Info("sso token refused", "err", err)
		return errSSO("its signature or form is not valid.")
	}
	if claims.ExpiresAt.Sub(now) > ssoMaxLifetime+30*time.Second {
		return errSSO("its expiry is more than an hour ahead.")
	}
	if claims.Email == "" {
		return errSSO("it names no email address.")
	}
	if claims.ID != "" {
		// A token with an id (jti) signs in once: copied from a log or
		// a browser's history, it is no use.
		first, err := models.UseOnce(c.UserContext(), a.db, "sso-jti", claims.Email+"\x00"+claims.ID, claims.ExpiresAt.Add(time.Minute))
		if err != nil {
			return err
		}
		if !first {
			return errSSO("it has been used already.")
		}
	}
	up := models.UserUpsert{
		Email: claims.Email, Name: claims.Name, Company: claims.Company, Plan: claims.Plan,
		Verified: true,
	}
	if claims.Subject != "" {
		sub := claims.Subject
		up.ExternalID = &sub
	}
	if claims.MRR != nil {
		if *claims.MRR < 0 || *claims.MRR > 1e11 || math.IsNaN(*claims.MRR) {
			return errSSO("its mrr is not a monthly revenue of zero or more.")
		}
		cents := int64(math.Round(*claims.MRR * 100))
		up.MRRCents = &cents
	}
	if claims.AvatarURL != nil {
		if u, err := url.Parse(*claims.AvatarURL); err != nil || u.Scheme != "https" || u.Host == "" {
			return errSSO("its avatar_url is not an https address.")
		}
		up.AvatarURL = claims.AvatarURL
	}
	u, created, err := models.UpsertUser(c.UserContext(), a.db, up)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		for field, msg := range ve.Fields {
			return errSSO(fmt.Sprintf("its %s is not usable (%s)", field, msg))
		}
	}
	if err != nil {
		return err
	}
	return a.finishSignIn(c, &models.SignedIn{User: u, Created: created}, c.Query("next"))
}

// ssoLogin sends a visitor who asks to sign in to the company's own
// sign-in page, with the address to come back to; ?local=1 keeps the
// portal's own page (for staff who sign in another way).
func (a *App) ssoLogin(c *fiber.Ctx) error {
	if a.cfg.SSOLoginURL == "" || c.Query("local") != "" {
		return c.Next()
	}
	target, err := url.Parse(a.cfg.SSOLoginURL)
	if err != nil {
		return err
	}
	q := target.Query()
	q.Set("return_to", a.cfg.URL(safeNext(c.Query("next"))))
	target.RawQuery = q.Encode()
	return c.Redirect(target.String(), fiber.StatusSeeOther)
}
