package markdown

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// SummaryRunes is how long a stored summary is at most, before its "…".
const SummaryRunes = 300

// Summary is the start of sanitized HTML as plain text, short enough to
// store beside it and show in lists.
func Summary(sanitized string) string { return Truncate(PlainText(sanitized), SummaryRunes) }

// PlainText is the text a reader sees in sanitized HTML: tags dropped,
// entities decoded once, runs of white space made one space, and a space
// between blocks (paragraphs, list items, cells, line breaks) so that their
// words do not run together. Comments, images and the content of elements
// that show no text (script, style, template) are left out. The result is
// text, to be escaped wherever it is written into HTML.
func PlainText(sanitized string) string {
	var b strings.Builder
	b.Grow(len(sanitized) / 2)
	space := false // a space is owed before the next word
	hidden := 0    // depth inside elements whose text is not shown
	z := html.NewTokenizer(strings.NewReader(sanitized))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			if hidden > 0 {
				continue
			}
			for _, r := range string(z.Text()) {
				if unicode.IsSpace(r) {
					space = true
					continue
				}
				if space && b.Len() > 0 {
					b.WriteByte(' ')
				}
				space = false
				b.WriteRune(r)
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if hiddenText(a) {
				if tt == html.StartTagToken {
					hidden++
				} else if hidden > 0 {
					hidden--
				}
				continue
			}
			if !inline(a) {
				space = true
			}
		}
	}
}

// hiddenText reports whether an element's content is never shown as text.
func hiddenText(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Template, atom.Noscript, atom.Title, atom.Textarea, atom.Select:
		return true
	}
	return false
}

// inline reports whether an element sits within a line of text, so that
// its tags separate nothing.
func inline(a atom.Atom) bool {
	switch a {
	case atom.A, atom.Abbr, atom.B, atom.Bdi, atom.Bdo, atom.Cite, atom.Code, atom.Data, atom.Del,
		atom.Dfn, atom.Em, atom.I, atom.Ins, atom.Kbd, atom.Mark, atom.Q, atom.Rp, atom.Rt, atom.Ruby,
		atom.S, atom.Samp, atom.Small, atom.Span, atom.Strike, atom.Strong, atom.Sub, atom.Sup,
		atom.Time, atom.Tt, atom.U, atom.Var, atom.Wbr, atom.Font, atom.Big:
		return true
	}
	return false
}

// Truncate shortens plain text to at most n runes, cutting at the last space
// if one falls in the second half, and ends it with "…" when anything was
// cut. Text of n runes or fewer is returned as it is.
func Truncate(s string, n int) string {
	end, runes := -1, 0
	for i := range s {
		if runes == max(n, 0) {
			end = i
			break
		}
		runes++
	}
	if end < 0 {
		return s
	}
	cut := s[:end]
	if i := strings.LastIndexByte(cut, ' '); i >= 0 && utf8.RuneCountInString(cut[:i]) > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " .,;:、。，") + "…"
}
