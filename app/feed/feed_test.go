package feed

import (
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

func TestParseFormat(t *testing.T) {
	for ext, want := range map[string]string{
		"rss":  "application/rss+xml; charset=utf-8",
		"atom": "application/atom+xml; charset=utf-8",
		"json": "application/feed+json; charset=utf-8",
	} {
		f, ok := ParseFormat(ext)
		if !ok || f.ContentType() != want {
			t.Errorf("ParseFormat(%q) = %q, %v; content type %q", ext, f, ok, f.ContentType())
		}
	}
	for _, ext := range []string{"", "xml", "RSS", "html", "rss2"} {
		if _, ok := ParseFormat(ext); ok {
			t.Errorf("ParseFormat(%q) accepted", ext)
		}
	}
}

// TestRenderEscapes hands the writer hostile text and unsanitized HTML and
// reads every format back with a real parser.
func TestRenderEscapes(t *testing.T) {
	at := time.Date(2026, 3, 14, 15, 9, 26, 0, time.FixedZone("CET", 3600))
	hostile := `A & B <i>c</i> ]]> <script>alert("t")</script>`
	doc := Doc{
		Title:       hostile,
		Description: hostile,
		Link:        "http://portal.test/",
		Self:        "http://portal.test/feeds/x",
		Author:      "Portal",
		Updated:     at,
		Items: []Item{{
			ID:        "tag:portal.test,2026:events/7",
			Title:     hostile,
			Link:      "http://portal.test/ideas/7/x",
			Summary:   hostile,
			HTML:      `<p>ok ]]> &amp; fine</p><script>alert(1)</script><a href="javascript:alert(2)">link</a><img src=x onerror="alert(3)">`,
			Author:    hostile,
			Published: at,
		}},
	}
	for _, f := range Formats {
		out, err := Render(f, doc)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		raw := string(out)
		for _, bad := range []string{"<script", "javascript:", "onerror"} {
			if strings.Contains(strings.ToLower(raw), bad) {
				t.Errorf("%s: document contains %q:\n%s", f, bad, raw)
			}
		}
		parsed, err := gofeed.NewParser().ParseString(raw)
		if err != nil {
			t.Fatalf("%s: %v\n%s", f, err, raw)
		}
		if parsed.Title != hostile || len(parsed.Items) != 1 {
			t.Fatalf("%s: title %q, %d items", f, parsed.Title, len(parsed.Items))
		}
		it := parsed.Items[0]
		if it.Title != hostile {
			t.Errorf("%s: item title %q", f, it.Title)
		}
		if it.GUID != "tag:portal.test,2026:events/7" || it.Link != "http://portal.test/ideas/7/x" {
			t.Errorf("%s: id %q, link %q", f, it.GUID, it.Link)
		}
		if !strings.HasPrefix(it.Content, "<p>ok ]]&gt; &amp; fine</p>") || strings.Contains(it.Content, "alert(") {
			t.Errorf("%s: content %q", f, it.Content)
		}
		if it.PublishedParsed == nil || !it.PublishedParsed.Equal(at) {
			t.Errorf("%s: published %v, want %v", f, it.PublishedParsed, at)
		}
		// The summary is text: RSS and Atom carry it as escaped HTML, JSON
		// Feed as plain text.
		wantSummary := hostile
		if f != JSON {
			wantSummary = `A &amp; B &lt;i&gt;c&lt;/i&gt; ]]&gt; &lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;`
		}
		if it.Description != wantSummary {
			t.Errorf("%s: summary %q, want %q", f, it.Description, wantSummary)
		}
	}
}

func TestRenderEmptyJSONHasItems(t *testing.T) {
	out, err := Render(JSON, Doc{Title: "Empty", Link: "http://portal.test/", Self: "http://portal.test/f.json", Updated: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"items": []`) {
		t.Errorf("empty JSON Feed lacks items:\n%s", out)
	}
}
