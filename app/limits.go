package app

import (
	"math"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"github.com/cluetrain/cluetrain/models"
)

// Rate is how many requests a key may make in a window.
type Rate struct {
	Max    int
	Window time.Duration
}

// defaultRates are the abuse limits by name. The sign-in limits and the
// per-person limits are counted in the database (see sharedRates), so any
// number of instances allow together what one does. The per-address limits
// on ideas, comments and votes are counted in each instance's memory: they
// are generous backstops, and keeping them local spares every write a
// second write.
var defaultRates = map[string]Rate{
	"signin-ip":    {Max: 60, Window: time.Minute},
	"signin-email": {Max: 10, Window: 10 * time.Minute},
	"idea-user":    {Max: 60, Window: time.Hour},
	"idea-ip":      {Max: 200, Window: time.Hour},
	"comment-user": {Max: 60, Window: 10 * time.Minute},
	"comment-ip":   {Max: 300, Window: 10 * time.Minute},
	"vote-user":    {Max: 300, Window: time.Minute},
	"vote-ip":      {Max: 3000, Window: time.Minute},
	"api-key":      {Max: 600, Window: time.Minute},
	"report-user":  {Max: 20, Window: time.Hour},
}

// sharedRates are the limits counted in the database, across instances.
var sharedRates = map[string]bool{
	"signin-ip":    true,
	"signin-email": true,
	"idea-user":    true,
	"comment-user": true,
	"vote-user":    true,
	"report-user":  true,
}

// Option adjusts an App at construction (tests use these).
type Option func(*App)

// WithQueue tunes the delivery queue's runner.
func WithQueue(cfg QueueConfig) Option {
	return func(a *App) { a.queueCfg = cfg }
}

// WithRates overrides some abuse limits by name.
func WithRates(r map[string]Rate) Option {
	return func(a *App) {
		for k, v := range r {
			a.rates[k] = v
		}
	}
}

// WithoutRateLimits lifts every abuse limit (for load tests and benchmarks).
func WithoutRateLimits() Option {
	return func(a *App) {
		for k := range a.rates {
			a.rates[k] = Rate{}
		}
	}
}

// limit returns middleware applying the named rate to the key of each
// request; an empty key is not limited. Past the limit: 429 with Retry-After.
func (a *App) limit(name string, key func(c *fiber.Ctx) string) fiber.Handler {
	rate, ok := a.rates[name]
	if !ok {
		panic("no rate named " + name)
	}
	if rate.Max <= 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	if sharedRates[name] {
		return a.sharedLimit(name, rate, key)
	}
	return limiter.New(limiter.Config{
		Max:        rate.Max,
		Expiration: rate.Window,
		Next:       func(c *fiber.Ctx) bool { return key(c) == "" },
		KeyGenerator: func(c *fiber.Ctx) string {
			return name + "|" + key(c)
		},
		LimitReached: func(c *fiber.Ctx) error {
			return fiber.NewError(fiber.StatusTooManyRequests, tooManyRequests)
		},
	})
}

const tooManyRequests = "You've done that a lot in a short time. Please wait a little and try again."

// byUser keys a limit on the signed-in user.
func byUser(c *fiber.Ctx) string {
	if u := currentUser(c); u != nil {
		return strconv.FormatInt(u.ID, 10)
	}
	return ""
}

// sharedLimit applies a rate counted in the database: one upsert per
// limited request, in fixed windows. Past the limit: 429 with Retry-After
// until the window ends.
func (a *App) sharedLimit(name string, rate Rate, key func(c *fiber.Ctx) string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		k := key(c)
		if k == "" {
			return c.Next()
		}
		hit, err := models.HitLimit(c.UserContext(), a.db, name, k, rate.Window)
		if err != nil {
			return err
		}
		if hit.Hits > rate.Max {
			wait := int(math.Ceil(hit.ResetAt.Sub(a.db.Now()).Seconds()))
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(wait, 1)))
			return fiber.NewError(fiber.StatusTooManyRequests, tooManyRequests)
		}
		return c.Next()
	}
}
