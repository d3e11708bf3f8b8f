// Package feed writes syndication documents, RSS 2.0, Atom and JSON Feed,
// with github.com/gorilla/feeds. It knows nothing of ideas or events: the
// caller describes a document and its items, and gets bytes back.
package feed

import (
	"encoding/json"
	"fmt"
	"html"
	"time"

	"github.com/gorilla/feeds"

	"github.com/cluetrain/cluetrain/app/markdown"
)

// Format is a feed's document format, named by its file extension.
type Format string

// The formats every feed is offered in.
const (
	RSS  Format = "rss"
	Atom Format = "atom"
	JSON Format = "json"
)

// Formats lists the formats in the order pages offer them.
var Formats = []Format{RSS, Atom, JSON}

// ParseFormat reads a file extension.
func ParseFormat(ext string) (Format, bool) {
	for _, f := range Formats {
		if string(f) == ext {
			return f, true
		}
	}
	return "", false
}

// ContentType is the media type the format is served with.
func (f Format) ContentType() string {
	switch f {
	case Atom:
		return "application/atom+xml; charset=utf-8"
	case JSON:
		return "application/feed+json; charset=utf-8"
	}
	return "application/rss+xml; charset=utf-8"
}

// Label is the format's name as people know it.
func (f Format) Label() string {
	switch f {
	case Atom:
		return "Atom"
	case JSON:
		return "JSON Feed"
	}
	return "RSS"
}

// Doc is one feed document.
type Doc struct {
	Title       string    // text
	Description string    // text
	Link        string    // absolute URL of the page the feed follows
	Self        string    // absolute URL of this document; also the Atom feed's id
	Author      string    // the publisher, named on the Atom feed
	Updated     time.Time // when the feed last changed
	Items       []Item    // newest first
}

// Item is one entry of a feed.
type Item struct {
	ID        string    // stable: the same thing always has the same id
	Title     string    // text; the encoder escapes it
	Link      string    // absolute URL
	Summary   string    // text; a sentence saying what happened
	HTML      string    // content; sanitized again before it is written
	Author    string    // display name, or ""
	Published time.Time // when it happened
}

// Render writes the document in the format.
func Render(f Format, d Doc) ([]byte, error) {
	src := d.source()
	var (
		out string
		err error
	)
	switch f {
	case RSS:
		out, err = feeds.ToXML(&feeds.Rss{Feed: src})
	case Atom:
		out, err = feeds.ToXML(d.atom(src))
	case JSON:
		var raw []byte
		raw, err = json.MarshalIndent(d.json(src), "", "  ")
		out = string(raw)
	default:
		return nil, fmt.Errorf("feed format %q", f)
	}
	if err != nil {
		return nil, fmt.Errorf("write %s feed %q: %w", f, d.Self, err)
	}
	return []byte(out + "\n"), nil
}

// source is the document in gorilla/feeds' terms. Summaries become HTML
// (escaped text), as RSS descriptions and Atom summaries of type html are
// read; JSON Feed gets them back as plain text in json.
func (d Doc) source() *feeds.Feed {
	f := &feeds.Feed{
		Title:       d.Title,
		Link:        &feeds.Link{Href: d.Link},
		Description: d.Description,
		Updated:     d.Updated.UTC(),
		Id:          d.Self,
	}
	for _, it := range d.Items {
		item := &feeds.Item{
			Id:          it.ID,
			IsPermaLink: "false",
			Title:       it.Title,
			Link:        &feeds.Link{Href: it.Link},
			Description: html.EscapeString(it.Summary),
			Content:     markdown.Sanitize(it.HTML),
			Created:     it.Published.UTC(),
			Updated:     it.Published.UTC(),
		}
		if it.Author != "" {
			item.Author = &feeds.Author{Name: it.Author}
		}
		f.Items = append(f.Items, item)
	}
	return f
}

// atom fills what gorilla/feeds leaves out of an Atom feed: its id (which it
// would take from the page link), the publisher, and each entry's published
// time.
func (d Doc) atom(src *feeds.Feed) *feeds.AtomFeed {
	af := (&feeds.Atom{Feed: src}).AtomFeed()
	af.Id = d.Self
	af.Link.Rel = "alternate"
	af.Author = &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: d.Author}}
	for i, e := range af.Entries {
		e.Published = d.Items[i].Published.UTC().Format(time.RFC3339)
	}
	return af
}

// jsonDoc is a JSON Feed whose items are written even when there are none,
// as the specification requires.
type jsonDoc struct {
	*feeds.JSONFeed
	Items []*feeds.JSONItem `json:"items"`
}

// json gives JSON Feed its own address and plain-text summaries.
func (d Doc) json(src *feeds.Feed) jsonDoc {
	jf := (&feeds.JSON{Feed: src}).JSONFeed()
	jf.FeedUrl = d.Self
	for i, it := range jf.Items {
		it.Summary = d.Items[i].Summary
	}
	items := jf.Items
	if items == nil {
		items = []*feeds.JSONItem{}
	}
	return jsonDoc{JSONFeed: jf, Items: items}
}
