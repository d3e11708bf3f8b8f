package app

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
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
		"money":    dollars,
		"spark":    sparkline,
	}
}

// dollars shows cents as a whole-dollar amount: 123456 is "$1,235".
func dollars(cents int64) string {
	d := strconv.FormatInt((cents+50)/100, 10)
	for i := len(d) - 3; i > 0; i -= 3 {
		d = d[:i] + "," + d[i:]
	}
	return "$" + d
}

// sparkline draws weekly counts, oldest first, as a small inline SVG
// chart: one bar a week, the weeks without votes a hairline, labelled with
// the numbers for screen readers. It holds nothing but numbers, so it is
// safe to embed; it is two paths, so a page of fifty stays light.
func sparkline(weeks []int) template.HTML {
	const w, h, bar = 96, 24, 8
	top := 1
	total := 0
	nums := make([]string, len(weeks))
	for i, n := range weeks {
		top = max(top, n)
		total += n
		nums[i] = strconv.Itoa(n)
	}
	var bars, zeros strings.Builder
	for i, n := range weeks {
		d, bh := &bars, max(2, n*(h-1)/top)
		if n == 0 {
			d, bh = &zeros, 1
		}
		fmt.Fprintf(d, "M%d %dh%dv%dh-%dz", i*bar, h-bh, bar-2, bh, bar-2)
	}
	label := fmt.Sprintf("%d votes over the last %d weeks, by week, oldest first: %s", total, len(weeks), strings.Join(nums, ", "))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="spark" role="img" aria-label="%s" viewBox="0 0 %d %d" width="%d" height="%d"><title>%s</title>`, label, w, h, w, h, label)
	if bars.Len() > 0 {
		fmt.Fprintf(&b, `<path d="%s"/>`, bars.String())
	}
	if zeros.Len() > 0 {
		fmt.Fprintf(&b, `<path class="spark-zero" d="%s"/>`, zeros.String())
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // numbers only
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
