package app

import (
	"html/template"
	"math"
	"strconv"
	"time"

	"github.com/cluetrain/cluetrain/app/markdown"
)

// templateFuncs are the functions every template may call.
func (a *App) templateFuncs() template.FuncMap {
	return template.FuncMap{
		"asset": a.assets.url,
		// safe marks HTML that was sanitized when it was written.
		"safe":     func(s string) template.HTML { return template.HTML(s) }, //nolint:gosec // stored HTML is sanitized on write
		"ago":      func(t time.Time) string { return ago(a.db.Now(), t) },
		"date":     func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
		"clock":    func(t time.Time) string { return t.UTC().Format("15:04") },
		"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"excerpt":  htmlExcerpt,
		"plural":   plural,
		"url":      a.cfg.URL,
		"ideaPath": ideaPath,
		"add":      func(a, b int) int { return a + b },
		"avatar":   a.avatarURL,
	}
}

// htmlExcerpt is the start of sanitized HTML as the reader sees it, in plain
// text of at most n runes; the template escapes it.
func htmlExcerpt(html string, n int) string { return markdown.Truncate(markdown.PlainText(html), n) }

// ago says how long ago t was, in words.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return countUnit(int(d.Minutes()), "minute") + " ago"
	case d < 24*time.Hour:
		return countUnit(int(d.Hours()), "hour") + " ago"
	case d < 30*24*time.Hour:
		return countUnit(int(d.Hours()/24), "day") + " ago"
	case d < 365*24*time.Hour:
		return countUnit(int(math.Round(d.Hours()/24/30)), "month") + " ago"
	}
	return t.UTC().Format("Jan 2006")
}

func countUnit(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}
