package models

import (
	"math"
	"time"
)

// Trending is a forward-decayed vote count: each vote weighs exp(λ·(t−epoch))
// with λ = ln 2 / half-life, and an idea's trend_score is the log of the sum
// of its votes' weights. Comparing log-sums at any moment T orders ideas
// exactly as their votes decayed to T would (the common factor
// exp(−λ·(T−epoch)) cancels), yet a vote only adds one term: O(1), and the
// sort is a plain index scan on trend_score.

// TrendHalfLife is how long it takes a vote's weight to halve.
const TrendHalfLife = 7 * 24 * time.Hour

// trendEpoch anchors the scores; any fixed moment works.
var trendEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// NoTrend is the score of an idea without votes: below any real score.
const NoTrend = -1e9

var trendLambda = math.Ln2 / TrendHalfLife.Seconds()

// voteWeight is the log of one vote's weight at time t.
func voteWeight(t time.Time) float64 {
	return trendLambda * t.Sub(trendEpoch).Seconds()
}

// AddTrend returns the score after a vote cast at t: log(exp(s) + exp(w)).
func AddTrend(score float64, t time.Time) float64 {
	w := voteWeight(t)
	if score <= NoTrend {
		return w
	}
	hi, lo := score, w
	if lo > hi {
		hi, lo = lo, hi
	}
	return hi + math.Log1p(math.Exp(lo-hi))
}

// RemoveTrend returns the score after withdrawing a vote cast at t, given how
// many votes remain. With none left the score is exactly NoTrend, so rounding
// never accumulates across an idea's life.
func RemoveTrend(score float64, t time.Time, remaining int) float64 {
	if remaining <= 0 || score <= NoTrend {
		return NoTrend
	}
	d := voteWeight(t) - score
	if d >= 0 {
		// Rounding left the vote weighing at least the whole sum.
		return NoTrend
	}
	r := -math.Expm1(d) // 1 − exp(d), accurate for small d
	if r <= 1e-12 {
		return NoTrend
	}
	return score + math.Log(r)
}

// TrendOf computes a score from scratch for the given vote times.
func TrendOf(votes []time.Time) float64 {
	s := float64(NoTrend)
	for _, t := range votes {
		s = AddTrend(s, t)
	}
	return s
}
