// Package markdown turns user-written markdown into safe HTML. Rendering
// happens once, when text is written; pages show the stored result.
package markdown

import (
	"bytes"
	"net/url"
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
//
// Posts show no images. The portal takes no uploads, so an image in a post
// would load from a host the writer chose, in every reader's browser: a
// tracking pixel that tells the writer who read it and from where. An image
// is rendered as a link to it instead, named by its alt text. HTML stored
// before this rule keeps its images off pages through the Content Security
// Policy, and the policy here gives any img it passes nothing to load.
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
	p.RewriteSrc(func(u *url.URL) { *u = url.URL{} })
	return &Renderer{
		md: goldmark.New(
			goldmark.WithExtensions(extension.GFM),
			// Images become links first, then every link is marked.
			goldmark.WithParserOptions(parser.WithASTTransformers(
				util.Prioritized(imagesAsLinks{}, 200),
				util.Prioritized(ugcLinks{}, 100),
			)),
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

// imagesAsLinks replaces every image with a link to it whose text is the
// image's alt text (or, without one, its address). An image that is already
// inside a link leaves just its text there.
type imagesAsLinks struct{}

func (imagesAsLinks) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	var images []*ast.Image
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if img, ok := n.(*ast.Image); ok && entering {
			images = append(images, img)
		}
		return ast.WalkContinue, nil
	})
	for _, img := range images {
		if !img.HasChildren() {
			img.AppendChild(img, ast.NewString(img.Destination))
		}
		parent := img.Parent()
		if insideLink(img) {
			for child := img.FirstChild(); child != nil; {
				next := child.NextSibling()
				parent.InsertBefore(parent, img, child)
				child = next
			}
			parent.RemoveChild(parent, img)
			continue
		}
		link := ast.NewLink()
		link.Destination, link.Title = img.Destination, img.Title
		for child := img.FirstChild(); child != nil; {
			next := child.NextSibling()
			link.AppendChild(link, child)
			child = next
		}
		parent.ReplaceChild(parent, img, link)
	}
}

func insideLink(n ast.Node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		if p.Kind() == ast.KindLink || p.Kind() == ast.KindAutoLink {
			return true
		}
	}
	return false
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
