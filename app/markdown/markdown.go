// Package markdown turns user-written markdown into safe HTML. Rendering
// happens once, when text is written; pages show the stored result.
package markdown

import (
	"bytes"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Renderer renders markdown with GitHub's extensions and sanitizes the HTML
// with bluemonday's user-generated-content policy. Raw HTML in the source is
// never passed through by goldmark; the policy is a second wall.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// New builds a Renderer; it is safe for concurrent use.
func New() *Renderer {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnFullyQualifiedLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	return &Renderer{
		md: goldmark.New(
			goldmark.WithExtensions(extension.GFM),
			goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(ugcLinks{}, 100))),
		),
		policy: p,
	}
}

// ugcLinks marks links as user-generated (rel="ugc"); bluemonday adds the rest.
type ugcLinks struct{}

func (ugcLinks) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering && (n.Kind() == ast.KindLink || n.Kind() == ast.KindAutoLink) {
			n.SetAttributeString("rel", []byte("ugc"))
		}
		return ast.WalkContinue, nil
	})
}

// Render returns sanitized HTML for src.
func (r *Renderer) Render(src string) string {
	src = strings.ReplaceAll(src, "\x00", "")
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(src), &buf); err != nil {
		// goldmark only fails on writer errors; fall back to escaped text.
		return r.policy.Sanitize("<p>" + bluemonday.StrictPolicy().Sanitize(src) + "</p>")
	}
	return r.policy.Sanitize(buf.String())
}

// Default is a shared Renderer.
var Default = New()

// Render renders with the shared Renderer.
func Render(src string) string { return Default.Render(src) }

// Sanitize passes HTML through the renderer's policy. Stored HTML was
// sanitized when it was written; readers that publish it elsewhere (feeds)
// may pass it through again as a second wall.
func (r *Renderer) Sanitize(html string) string { return r.policy.Sanitize(html) }

// Sanitize sanitizes with the shared Renderer.
func Sanitize(html string) string { return Default.Sanitize(html) }
