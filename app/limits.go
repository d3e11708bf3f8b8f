package app

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"
)

// Rate is how many requests a key may make in a window.
type Rate struct {
	Max    int
	Window time.Duration
}

// defaultRates are the abuse limits by name. Counters live in each
// instance's memory, so behind a load balancer the effective limit is
// per instance; that bounds abuse without a shared store.
var defaultRates = map[string]Rate{
	"signin-ip":    {Max: 60, Window: time.Minute},
	"signin-email": {Max: 10, Window: 10 * time.Minute},
	"idea-user":    {Max: 60, Window: time.Hour},
	"idea-ip":      {Max: 200, Window: time.Hour},
	"comment-user": {Max: 60, Window: 10 * time.Minute},
	"comment-ip":   {Max: 300, Window: 10 * time.Minute},
	"vote-user":    {Max: 300, Window: time.Minute},
	"vote-ip":      {Max: 3000, Window: time.Minute},
	"report-user":  {Max: 20, Window: time.Hour},
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
	return limiter.New(limiter.Config{
		Max:        rate.Max,
		Expiration: rate.Window,
		Next:       func(c *fiber.Ctx) bool { return key(c) == "" },
		KeyGenerator: func(c *fiber.Ctx) string {
			return name + "|" + key(c)
		},
		LimitReached: func(c *fiber.Ctx) error {
			return fiber.NewError(fiber.StatusTooManyRequests, "You've done that a lot in a short time. Please wait a little and try again.")
		},
	})
}

// byUser keys a limit on the signed-in user.
func byUser(c *fiber.Ctx) string {
	if u := currentUser(c); u != nil {
		return strconv.FormatInt(u.ID, 10)
	}
	return ""
}
