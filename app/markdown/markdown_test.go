package markdown_test

import (
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/app/markdown"
)

// TestRenderPolicy is the contract of what user markdown may become. Raw
// HTML is dropped by goldmark already; what only the sanitizer does is
// checked here too: the rel and target it puts on links, the short list of
// link schemes, and the attributes an image may keep.
func TestRenderPolicy(t *testing.T) {
	tests := []struct {
		name, md, want string
	}{
		{"absolute link", "[docs](https://example.com/docs)",
			`<p><a href="https://example.com/docs" rel="nofollow noreferrer noopener" target="_blank">docs</a></p>` + "\n"},
		{"protocol-relative link", "[x](//example.com/x)",
			`<p><a href="//example.com/x" rel="nofollow noreferrer noopener" target="_blank">x</a></p>` + "\n"},
		{"autolink", "<https://example.com/a>",
			`<p><a href="https://example.com/a" rel="nofollow noreferrer noopener" target="_blank">https://example.com/a</a></p>` + "\n"},
		{"bare www link", "see www.example.com",
			`<p>see <a href="http://www.example.com" rel="nofollow noreferrer noopener" target="_blank">www.example.com</a></p>` + "\n"},
		{"relative link", "[idea](/ideas/1)", `<p><a href="/ideas/1" rel="nofollow">idea</a></p>` + "\n"},
		{"mailto link", "[mail](mailto:a@example.com)", `<p><a href="mailto:a@example.com" rel="nofollow">mail</a></p>` + "\n"},
		{"javascript link", "[x](javascript:alert(1))", "<p>x</p>\n"},
		{"javascript link in capitals", "[x](JaVaScRiPt:alert(1))", "<p>x</p>\n"},
		{"data link", "[x](data:text/html;base64,PHNjcmlwdD4=)", "<p>x</p>\n"},
		{"vbscript link", "[x](vbscript:msgbox(1))", "<p>x</p>\n"},
		{"ftp link", "[x](ftp://example.com/f)", "<p>x</p>\n"},
		{"tel link", "[x](tel:+15550100)", "<p>x</p>\n"},
		{"unknown scheme", "[x](app:open)", "<p>x</p>\n"},
		// Posts load no images from elsewhere (no tracking pixels): an image
		// becomes a link named by its alt text, and a link the policy would
		// refuse becomes its text.
		{"image", `![a chart](https://example.com/c.png "Q3")`,
			`<p><a href="https://example.com/c.png" title="Q3" rel="nofollow noreferrer noopener" target="_blank">a chart</a></p>` + "\n"},
		{"data image", "![x](data:image/png;base64,iVBORw0KGgo=)", "<p>x</p>\n"},
		{"javascript image", "![x](javascript:alert(1))", "<p>x</p>\n"},
		{"script", "<script>alert(1)</script>", "\n"},
		{"iframe", `<iframe src="https://example.com"></iframe>`, "\n"},
		{"inline html with handler", `<b onclick="alert(1)">hi</b>`, "<p>hi</p>\n"},
		{"inline html with style", `<span style="color:red">hi</span>`, "<p>hi</p>\n"},
		{"NUL bytes", "a\x00b", "<p>ab</p>\n"},
		{"emphasis, code and strike", "*em* **strong** `code` ~~old~~",
			"<p><em>em</em> <strong>strong</strong> <code>code</code> <del>old</del></p>\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := markdown.Render(tt.md); got != tt.want {
				t.Errorf("Render(%q)\n got %q\nwant %q", tt.md, got, tt.want)
			}
		})
	}
}

// TestSanitizePolicy is the second wall, for stored HTML published again
// (feeds): whatever HTML it is given, only the user-content allow-list comes
// out.
func TestSanitizePolicy(t *testing.T) {
	tests := []struct {
		name, html, want string
	}{
		{"script", `<script>alert(1)</script><p>x</p>`, "<p>x</p>"},
		{"svg script", `<svg><script>alert(1)</script></svg>`, ""},
		{"iframe, object, embed, base", `<iframe src="https://example.com"></iframe><object data="x"></object><embed src="x"><base href="https://example.com/">`, ""},
		{"style, link and meta", `<style>p{}</style><link rel="stylesheet" href="x"><meta http-equiv="refresh" content="0;url=https://example.com">`, ""},
		{"form", `<form action="/x"><input name="a"><button>go</button></form>`, "go"},
		{"event handlers, style and class", `<p onclick="alert(1)" onmouseover="x" style="color:red" class="big">p</p>`, "<p>p</p>"},
		{"image keeps alt, title and size only, and loads nothing", `<img src="https://example.com/a.png" alt="a" title="t" width="10" height="20" onerror="alert(1)" style="x" class="c" loading="lazy">`,
			`<img src="" alt="a" title="t" width="10" height="20">`},
		{"image with a data URL", `<img src="data:image/png;base64,iVBORw0KGgo=" alt="a">`, `<img alt="a">`},
		{"link rel and target are the policy's", `<a href="https://example.com/x" target="_self" rel="me">x</a>`,
			`<a href="https://example.com/x" rel="nofollow noreferrer noopener" target="_blank">x</a>`},
		{"javascript link", `<a href="javascript:alert(1)">x</a>`, "x"},
		{"entity-encoded javascript link", `<a href="jav&#x09;ascript:alert(1)">x</a>`, "x"},
		{"vbscript link", `<a href='vbscript:msgbox(1)'>x</a>`, "x"},
		{"data link", `<a href="data:text/html,hi">x</a>`, "x"},
		{"data and aria attributes", `<div data-x="1" aria-label="a">d</div>`, "<div>d</div>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := markdown.Sanitize(tt.html); got != tt.want {
				t.Errorf("Sanitize(%q)\n got %q\nwant %q", tt.html, got, tt.want)
			}
		})
	}
}

// TestRenderedHTMLPassesTheSanitizerUnchanged: what Render stores is already
// within the policy, so publishing it again through Sanitize changes nothing.
func TestRenderedHTMLPassesTheSanitizerUnchanged(t *testing.T) {
	md := strings.Join([]string{
		"# Title", "Some *text* with a [link](https://example.com) and [another](/ideas/2).",
		"![img](https://example.com/i.png)", "- one\n- two", "> quoted", "```\ncode <b>\n```",
		"| a | b |\n|---|---|\n| 1 | 2 |", "<script>alert(1)</script>",
	}, "\n\n")
	html := markdown.Render(md)
	if again := markdown.Sanitize(html); again != html {
		t.Errorf("Sanitize changed rendered HTML:\n%s\n---\n%s", html, again)
	}
}
