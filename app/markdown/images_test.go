package markdown_test

import (
	"strings"
	"testing"

	"github.com/cluetrain/cluetrain/app/markdown"
)

// Posts never make a reader's browser load an image from a host the writer
// chose: an image becomes a link to it.
func TestImagesAreRenderedAsLinks(t *testing.T) {
	tests := []struct {
		name, md, want string
	}{
		{"alt text names the link", "![a cat](https://tracker.example/p.gif)",
			`<p><a href="https://tracker.example/p.gif" rel="nofollow noreferrer noopener" target="_blank">a cat</a></p>`},
		{"without alt text the address does", `![](https://tracker.example/p.gif "pixel")`,
			`<p><a href="https://tracker.example/p.gif" title="pixel" rel="nofollow noreferrer noopener" target="_blank">https://tracker.example/p.gif</a></p>`},
		{"an image inside a link leaves its text", "[![logo](https://tracker.example/l.png)](https://example.com/)",
			`<p><a href="https://example.com/" rel="nofollow noreferrer noopener" target="_blank">logo</a></p>`},
		{"a local path too", "see ![chart](/static/chart.png) here",
			`<p>see <a href="/static/chart.png" rel="nofollow">chart</a> here</p>`},
		{"reference images", "![ref][r]\n\n[r]: https://tracker.example/r.gif",
			`<p><a href="https://tracker.example/r.gif" rel="nofollow noreferrer noopener" target="_blank">ref</a></p>`},
		{"raw HTML images are dropped", `<img src="https://tracker.example/p.gif">`, ``},
	}
	for _, tc := range tests {
		got := strings.TrimSpace(markdown.Render(tc.md))
		if got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
		if strings.Contains(got, "<img") {
			t.Errorf("%s: renders an image", tc.name)
		}
	}
}

// HTML stored before images became links is passed through the policy again
// where it is republished (feeds): an image keeps nothing to load.
func TestSanitizeLeavesImagesNothingToLoad(t *testing.T) {
	got := markdown.Sanitize(`<p>old <img src="https://tracker.example/p.gif" alt="pixel"></p>`)
	if strings.Contains(got, "tracker.example") {
		t.Errorf("sanitized HTML still loads the image: %s", got)
	}
}
