package markdown_test

import (
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/app/markdown"
)

func TestPlainTextOfRenderedMarkdown(t *testing.T) {
	tests := []struct {
		name, md, want string
	}{
		{"empty", "", ""},
		{"paragraphs do not run together", "First para.\n\nSecond  para.", "First para. Second para."},
		{"emphasis stays inside words", "**bold**ly and *em*phatic, snake_case_kept", "boldly and emphatic, snake_case_kept"},
		{"nested lists", "- one\n- two\n  - two a\n  - two b\n- three", "one two two a two b three"},
		{"ordered list", "1. first\n2. second", "first second"},
		{"code block keeps its text once", "Run:\n\n```go\nx := a < b && c\nfmt.Println(x)\n```\n\nDone.", "Run: x := a < b && c fmt.Println(x) Done."},
		{"inline code", "Use `<div>` here", "Use <div> here"},
		{"link shows its text", "See [the docs](https://example.com/docs) now", "See the docs now"},
		{"javascript link is dropped, text kept", "[link](javascript:alert(1))", "link"},
		{"raw html omitted", "Hello <img src=x onerror=alert(1)> there", "Hello there"},
		{"script omitted", "<script>alert(1)</script>\n\nafter", "after"},
		{"entities decoded once", "AT&amp;T and &lt;b&gt; and &amp;amp;", "AT&T and <b> and &amp;"},
		{"bare ampersand", "Tom & Jerry", "Tom & Jerry"},
		{"headings and quotes", "# Title\nText\n\n> quoted\n> more", "Title Text quoted more"},
		{"table cells", "| a | b |\n|---|---|\n| c | d |", "a b c d"},
		{"hard line break", "line one  \nline two", "line one line two"},
		{"CJK", "日本語のテキスト。\n\n次の段落", "日本語のテキスト。 次の段落"},
		{"an image reads as its alt text, the link it became", "before ![alt text](https://example.com/a.png) after", "before alt text after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := markdown.PlainText(markdown.Render(tt.md)); got != tt.want {
				t.Errorf("PlainText(Render(%q)) = %q, want %q\nhtml: %s", tt.md, got, tt.want, markdown.Render(tt.md))
			}
		})
	}
}

func TestPlainTextOfHTML(t *testing.T) {
	tests := []struct {
		name, html, want string
	}{
		{"block tags separate words", "<p>a</p><p>b</p><ul><li>c</li><li>d</li></ul>", "a b c d"},
		{"inline tags do not", "<p>un<em>believ</em><strong>able</strong></p>", "unbelievable"},
		{"line break", "one<br>two<br/>three", "one two three"},
		{"comment", "a<!-- hidden -->b", "ab"},
		{"style text", "<style>p{color:red}</style><p>shown</p>", "shown"},
		{"numeric entities", "caf&#233; &#x2014; &nbsp;x", "café — x"},
		{"white space collapsed and trimmed", "  <p>\n a \t b </p>\n ", "a b"},
		{"unclosed tags", "<p>open <em>em", "open em"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := markdown.PlainText(tt.html); got != tt.want {
				t.Errorf("PlainText(%q) = %q, want %q", tt.html, got, tt.want)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	long := strings.Repeat("word ", 60)
	tests := []struct {
		name, s string
		n       int
		want    string
	}{
		{"empty", "", 10, ""},
		{"exactly n", "abcde fghij", 11, "abcde fghij"},
		{"shorter than n", "abc", 10, "abc"},
		{"cut at a word", "abcde fghij klmno", 14, "abcde fghij…"},
		{"long word cut mid word", "abcdefghijklmnop", 10, "abcdefghij…"},
		{"early space ignored", "ab cdefghijklmnop", 10, "ab cdefghi…"},
		{"trailing punctuation dropped", "one, two, three four", 10, "one, two…"},
		{"runes not bytes", "éèêë àâäå", 9, "éèêë àâäå"},
		{"runes not bytes, cut", "éèêë àâäå ù", 10, "éèêë àâäå…"},
		{"CJK without spaces", "日本語のテキストです", 4, "日本語の…"},
		{"CJK full stop dropped", "日本語。テキスト", 4, "日本語…"},
		{"long text", long, 180, strings.TrimSpace(long[:180]) + "…"},
		{"zero", "abc", 0, "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := markdown.Truncate(tt.s, tt.n); got != tt.want {
				t.Errorf("Truncate(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	html := markdown.Render(strings.Repeat("Lorem ipsum dolor sit amet. ", 40))
	got := markdown.Summary(html)
	if n := len([]rune(got)); n > markdown.SummaryRunes+1 || n < markdown.SummaryRunes/2 {
		t.Errorf("summary is %d runes, want at most %d: %q", n, markdown.SummaryRunes+1, got)
	}
	if !strings.HasPrefix(got, "Lorem ipsum dolor sit amet. Lorem") || !strings.HasSuffix(got, "…") {
		t.Errorf("summary = %q", got)
	}
	if got := markdown.Summary(markdown.Render("Short *one*.")); got != "Short one." {
		t.Errorf("short summary = %q, want %q", got, "Short one.")
	}
}
