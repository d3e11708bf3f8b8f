package app

import (
	"container/list"
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/models"
)

// Signed-out readers are most of a public portal's traffic, and they all see
// the same pages. The page cache keeps each such response as it was sent,
// compressed once for each encoding, and serves it again until anything on
// it may have changed.
//
// It is never stale because its key holds the data version (models.
// DataVersion), which database triggers bump in the transaction of every
// write to content, whichever code or process wrote it. Each instance reads
// the version at most once per window (and at once after it served a write
// itself), so a change made through any instance shows on every instance's
// signed-out pages within a window. The key also holds everything else that
// changes the bytes: the path and query, the encoding, and the minute (pages
// say "5 minutes ago").
//
// What is never cached: a response that set a cookie, one for a request
// that carries a session, one that printed a CSRF token (a form), anything
// but a 200 or a permanent redirect (an idea's address without its slug),
// and whatever a.cacheable refuses.

// defaultCacheWindow is how stale an instance's idea of the data version
// may be: a write through another instance shows here within it.
const defaultCacheWindow = 500 * time.Millisecond

// defaultCacheBytes bounds the memory the cached bodies take.
const defaultCacheBytes = 64 << 20

// WithPageCache sets the page cache's memory bound (0 turns the cache off)
// and how often an instance reads the data version (0: on every request).
func WithPageCache(maxBytes int64, window time.Duration) Option {
	return func(a *App) {
		a.pageCacheBytes = maxBytes
		a.cacheWindow = window
	}
}

// cachedPage is one response, ready to send again.
type cachedPage struct {
	key     string
	status  int         // 200, or a permanent redirect to the canonical address
	route   string      // the route pattern that rendered it, for metrics
	headers [][2]string // the headers that describe the body
	body    []byte
	etag    string
	lastMod time.Time
}

func (p *cachedPage) size() int64 { return int64(len(p.key) + len(p.body) + 256) }

// pageCache is a least-recently-used map bounded by the bytes it holds.
type pageCache struct {
	mu    sync.Mutex
	max   int64
	size  int64
	order *list.List // front: most recently used
	items map[string]*list.Element
	// rendering holds a channel for each key being rendered now, closed
	// when it is done: the other readers of that page wait for it rather
	// than all render it at once (after each change, a crowd would).
	rendering map[string]chan struct{}

	hits, misses, stores, evictions atomic.Int64
}

func newPageCache(maxBytes int64) *pageCache {
	return &pageCache{max: maxBytes, order: list.New(), items: map[string]*list.Element{}, rendering: map[string]chan struct{}{}}
}

// get finds a page, or, when it is not there, either makes the caller the
// one to render it (render true: call rendered(key) when done) or returns
// a channel that closes when the reader rendering it is done.
func (pc *pageCache) get(key string) (p *cachedPage, wait <-chan struct{}, render bool) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if el, ok := pc.items[key]; ok {
		pc.order.MoveToFront(el)
		return el.Value.(*cachedPage), nil, false
	}
	if ch, ok := pc.rendering[key]; ok {
		return nil, ch, false
	}
	pc.rendering[key] = make(chan struct{})
	return nil, nil, true
}

// lookup finds a page, if it is there.
func (pc *pageCache) lookup(key string) (*cachedPage, bool) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	el, ok := pc.items[key]
	if ok {
		pc.order.MoveToFront(el)
		return el.Value.(*cachedPage), true
	}
	return nil, false
}

// rendered ends a render that get asked for, kept or not.
func (pc *pageCache) rendered(key string) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if ch, ok := pc.rendering[key]; ok {
		close(ch)
		delete(pc.rendering, key)
	}
}

// renderWait bounds how long a reader waits for another to render a page
// before rendering it too.
const renderWait = 5 * time.Second

func (pc *pageCache) put(p *cachedPage) {
	n := p.size()
	// One page may take at most an eighth of the cache.
	if n > pc.max/8 {
		return
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if el, ok := pc.items[p.key]; ok {
		pc.size -= el.Value.(*cachedPage).size()
		el.Value = p
		pc.order.MoveToFront(el)
	} else {
		pc.items[p.key] = pc.order.PushFront(p)
	}
	pc.size += n
	pc.stores.Add(1)
	for pc.size > pc.max {
		el := pc.order.Back()
		old := el.Value.(*cachedPage)
		pc.order.Remove(el)
		delete(pc.items, old.key)
		pc.size -= old.size()
		pc.evictions.Add(1)
	}
}

// clear drops every entry: once the version moved on, none can hit again.
func (pc *pageCache) clear() {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	pc.items = map[string]*list.Element{}
	pc.order.Init()
	pc.size = 0
}

// stats are the entry count and the bytes held.
func (pc *pageCache) stats() (entries int, bytes int64) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return len(pc.items), pc.size
}

// dataVersion tracks this instance's reading of models.DataVersion.
type dataVersion struct {
	window  time.Duration
	value   atomic.Int64
	checked atomic.Int64 // unix nanoseconds of the last reading; 0: read again
	reading sync.Mutex
}

// current is the data version, read afresh when the last reading is older
// than the window. While one request reads it, the others use the reading
// before (which is at most a window old).
func (dv *dataVersion) current(ctx context.Context, db *models.DB) (int64, bool, error) {
	now := time.Now().UnixNano()
	last := dv.checked.Load()
	if last != 0 && dv.window > 0 && now-last < int64(dv.window) {
		return dv.value.Load(), false, nil
	}
	if last != 0 && !dv.reading.TryLock() {
		return dv.value.Load(), false, nil
	} else if last == 0 {
		dv.reading.Lock()
	}
	defer dv.reading.Unlock()
	v, err := models.DataVersion(ctx, db)
	if err != nil {
		return 0, false, err
	}
	changed := dv.value.Swap(v) != v
	dv.checked.Store(now)
	return v, changed, nil
}

// forget makes the next request read the version again: this instance has
// just written.
func (dv *dataVersion) forget() { dv.checked.Store(0) }

// cacheablePath reports whether a path is one of the pages every signed-out
// reader sees alike: the idea lists, idea pages, roadmap, changelog, feeds
// and sitemaps.
func cacheablePath(path string) bool {
	switch path {
	case "/", "/roadmap", "/changelog", "/sitemap.xml":
		return true
	}
	switch {
	case strings.HasPrefix(path, "/feeds/"), strings.HasPrefix(path, "/sitemaps/"):
		return true
	case strings.HasPrefix(path, "/boards/"):
		return strings.Contains(path, "/feed.")
	case strings.HasPrefix(path, "/ideas/"):
		rest := strings.TrimPrefix(path, "/ideas/")
		id, _, _ := strings.Cut(rest, "/")
		_, err := strconv.ParseUint(id, 10, 63)
		return err == nil && id != "" && id[0] != '0'
	}
	return false
}

// cacheable reports whether this request may be answered from the page
// cache: a GET or HEAD of a shared page that carries no credentials (no
// session, no Authorization header) and does not ask for JSON, on a portal
// that is not private (whose pages are for signed-in people only). Only a
// GET's answer is kept; a HEAD is answered from it.
func (a *App) cacheable(c *fiber.Ctx) bool {
	m := c.Method()
	return (m == fiber.MethodGet || m == fiber.MethodHead) &&
		!a.hasSessionCookie(c) &&
		len(c.Request().Header.Peek(fiber.HeaderAuthorization)) == 0 &&
		!wantsJSON(c) &&
		cacheablePath(c.Path()) &&
		!a.portalIsPrivate()
}

// responseEncoding is the encoding the compress middleware will choose for
// this request, in its order of preference.
func responseEncoding(c *fiber.Ctx) string {
	h := &c.Request().Header
	for _, enc := range []string{"br", "gzip", "deflate", "zstd"} {
		if h.HasAcceptEncoding(enc) {
			return enc
		}
	}
	return ""
}

// keptHeaders are the response headers that belong to a cached body; the
// rest (request id, security headers) are set afresh by the middleware
// before the cache.
var keptHeaders = []string{
	fiber.HeaderContentType, fiber.HeaderContentEncoding, fiber.HeaderVary,
	fiber.HeaderETag, fiber.HeaderLastModified, fiber.HeaderCacheControl,
	fiber.HeaderLocation,
}

// servePageCache is middleware: it answers cacheable requests from the
// cache, and keeps the answers it did not have. It runs before compression
// and ETags, so a hit costs neither.
func (a *App) servePageCache(c *fiber.Ctx) error {
	if a.pages == nil {
		return c.Next()
	}
	if !a.cacheable(c) {
		err := c.Next()
		switch c.Method() {
		case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		default:
			// This instance wrote (or may have): the next page reads
			// the version afresh, so its own writes show at once.
			a.version.forget()
		}
		return err
	}
	version, changed, err := a.version.current(c.UserContext(), a.db)
	if err != nil {
		return err
	}
	if changed {
		a.pages.clear()
	}
	var key strings.Builder
	key.WriteString(strconv.FormatInt(version, 10))
	key.WriteByte('|')
	key.WriteString(strconv.FormatInt(a.db.Now().Unix()/60, 10))
	key.WriteByte('|')
	key.WriteString(responseEncoding(c))
	key.WriteByte('|')
	key.Write(c.Request().URI().RequestURI())
	k := key.String()
	if c.Method() == fiber.MethodHead {
		// A HEAD takes a kept GET's answer but neither keeps its own nor
		// holds back a crowd's GETs while it renders.
		if p, ok := a.pages.lookup(k); ok {
			a.pages.hits.Add(1)
			return a.sendCachedPage(c, p)
		}
		a.pages.misses.Add(1)
		return c.Next()
	}
	p, wait, render := a.pages.get(k)
	if p != nil {
		a.pages.hits.Add(1)
		return a.sendCachedPage(c, p)
	}
	if wait != nil {
		timer := time.NewTimer(renderWait)
		select {
		case <-wait:
		case <-timer.C:
		case <-c.UserContext().Done():
		}
		timer.Stop()
		if p, ok := a.pages.lookup(k); ok {
			a.pages.hits.Add(1)
			return a.sendCachedPage(c, p)
		}
	}
	a.pages.misses.Add(1)
	if render {
		defer a.pages.rendered(k)
	}

	if err := c.Next(); err != nil {
		return err
	}
	resp := c.Response()
	status := resp.StatusCode()
	cookies := 0
	for range resp.Header.Cookies() {
		cookies++
	}
	if status != fiber.StatusOK && status != fiber.StatusMovedPermanently && status != fiber.StatusPermanentRedirect ||
		cookies > 0 ||
		c.Locals(localCSRF) != nil ||
		currentUser(c) != nil ||
		!a.cacheable(c) {
		return nil
	}
	p = &cachedPage{key: k, status: status, body: append([]byte(nil), resp.Body()...)}
	if rt := c.Route(); rt != nil {
		p.route = rt.Path
	}
	for _, h := range keptHeaders {
		if v := resp.Header.Peek(h); len(v) > 0 {
			p.headers = append(p.headers, [2]string{h, string(v)})
		}
	}
	p.etag = string(resp.Header.Peek(fiber.HeaderETag))
	if lm := resp.Header.Peek(fiber.HeaderLastModified); len(lm) > 0 {
		p.lastMod, _ = http.ParseTime(string(lm))
	}
	a.pages.put(p)
	return nil
}

// sendCachedPage answers from a cached page, with 304 when the reader's
// copy is the same.
func (a *App) sendCachedPage(c *fiber.Ctx, p *cachedPage) error {
	for _, h := range p.headers {
		c.Set(h[0], h[1])
	}
	c.Set("X-Cache", "hit")
	if p.route != "" {
		c.Locals(localRoute, p.route)
	}
	if p.status == fiber.StatusOK && (p.etag != "" || !p.lastMod.IsZero()) && notModified(c, p.etag, p.lastMod) {
		c.Response().Header.Del(fiber.HeaderContentType)
		c.Response().Header.Del(fiber.HeaderContentEncoding)
		c.Status(fiber.StatusNotModified)
		return nil
	}
	c.Status(p.status)
	return c.Send(p.body)
}
