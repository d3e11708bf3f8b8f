package app

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"html/template"
	"io/fs"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/views"
)

// pageViews holds the templates in views/. Every file under layouts/,
// partials/ and pages/ is parsed once, at start, into one set and named by
// its path without the extension ("pages/home"). A page renders into a
// buffer and its layout then places it with {{.Content}}; nothing is shared
// between renders but the parsed set, so pages render in parallel.
type pageViews struct {
	set  *template.Template
	bufs sync.Pool
}

// loadViews parses every template; a broken one fails start-up.
func loadViews(funcs template.FuncMap) (*pageViews, error) {
	set := template.New("").Funcs(funcs)
	for _, dir := range []string{"layouts", "partials", "pages"} {
		err := fs.WalkDir(views.FS, dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") {
				return err
			}
			src, err := fs.ReadFile(views.FS, path)
			if err != nil {
				return err
			}
			if _, err := set.New(strings.TrimSuffix(path, ".html")).Parse(string(src)); err != nil {
				return fmt.Errorf("parse %s: %w", path, err)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("load templates: %w", err)
		}
	}
	return &pageViews{set: set, bufs: sync.Pool{New: func() any { return new(bytes.Buffer) }}}, nil
}

// execute renders the named template with data into a new byte slice, inside
// the layout when one is named; the page's HTML then takes the place of
// the layout's {{.Content}}, so data must be a map. A failed render
// returns no output at all.
//
// The layout is rendered around a mark rather than the page itself, and
// the page spliced in at the mark: a template prints a value through fmt,
// which would copy a large page (a triage list, staff's roadmap) through
// a buffer of its own.
func (v *pageViews) execute(name, layout string, data any) ([]byte, error) {
	page := v.set.Lookup(name)
	if page == nil {
		return nil, fmt.Errorf("render: no template %q", name)
	}
	buf := v.bufs.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); v.bufs.Put(buf) }()
	if err := page.Execute(buf, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	if layout == "" {
		return bytes.Clone(buf.Bytes()), nil
	}
	lay := v.set.Lookup(layout)
	if lay == nil {
		return nil, fmt.Errorf("render: no layout %q", layout)
	}
	m, ok := data.(fiber.Map)
	if !ok {
		return nil, fmt.Errorf("render %s: a page in a layout takes a map, not %T", name, data)
	}
	m["Content"] = template.HTML(contentMark) //nolint:gosec // a constant
	around := v.bufs.Get().(*bytes.Buffer)
	defer func() { around.Reset(); v.bufs.Put(around) }()
	if err := lay.Execute(around, data); err != nil {
		return nil, fmt.Errorf("render %s in %s: %w", name, layout, err)
	}
	before, after, found := bytes.Cut(around.Bytes(), []byte(contentMark))
	if !found {
		return bytes.Clone(around.Bytes()), nil
	}
	out := make([]byte, 0, len(before)+buf.Len()+len(after))
	return append(append(append(out, before...), buf.Bytes()...), after...), nil
}

// contentMark stands where a layout prints {{.Content}}: random, so no
// page's own text can hold it.
var contentMark = "<!--content-" + rand.Text() + "-->"
