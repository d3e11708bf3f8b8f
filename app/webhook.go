package app

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/cluetrain/cluetrain/models"
)

// Webhooks: deliveries are jobs in the durable queue (models/webhook.go
// enqueues them with the change), signed as the Standard Webhooks
// specification says, and sent only to public addresses: the address is
// checked when the endpoint is registered and again, after resolving, when
// connecting, so a name that later resolves somewhere private (DNS
// rebinding) is refused too. Redirects are not followed.

// hookTimeout bounds one delivery attempt.
const hookTimeout = 10 * time.Second

// resolver looks up a host's addresses; tests give one of their own.
type resolver func(ctx context.Context, host string) ([]netip.Addr, error)

func systemResolver(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// WithResolver makes webhooks resolve names with r.
func WithResolver(r func(ctx context.Context, host string) ([]netip.Addr, error)) Option {
	return func(a *App) { a.resolve = r }
}

// blockedNets are the ranges no webhook may reach unless
// WEBHOOK_ALLOW_NETWORKS lets it: this network, shared address space
// (carrier NAT), benchmarking, documentation-free reserved ranges, and
// IPv6 translation prefixes; loopback, private, link-local (which holds
// cloud metadata at 169.254.169.254), multicast and unspecified addresses
// are checked by kind.
var blockedNets = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2002::/16"),
	netip.MustParsePrefix("fec0::/10"),
}

// hookAddrAllowed reports whether a webhook may connect to addr.
func (a *App) hookAddrAllowed(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range a.cfg.WebhookAllowNets {
		if p.Contains(addr) {
			return true
		}
	}
	if addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() ||
		addr.IsInterfaceLocalMulticast() || addr.IsMulticast() || addr.IsUnspecified() || !addr.IsValid() {
		return false
	}
	for _, p := range blockedNets {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// errPrivateTarget is a refusal to reach a private address.
var errPrivateTarget = errors.New("the address is in a private, loopback or link-local network")

// hookAddrs resolves host and returns its addresses if every one is
// allowed.
func (a *App) hookAddrs(ctx context.Context, host string) ([]netip.Addr, error) {
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		addrs = []netip.Addr{ip}
	} else {
		if addrs, err = a.resolve(ctx, host); err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("resolve %s: no addresses", host)
	}
	for _, ip := range addrs {
		if !a.hookAddrAllowed(ip) {
			return nil, fmt.Errorf("%s (%s): %w", host, ip, errPrivateTarget)
		}
	}
	return addrs, nil
}

// createWebhook registers an endpoint whose URL leads somewhere public.
func (a *App) createWebhook(ctx context.Context, rawURL string, events []string, actor *models.User) (*models.Webhook, error) {
	u, err := models.ParseWebhookURL(rawURL)
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := a.hookAddrs(rctx, u.Hostname()); err != nil {
		msg := "This address can't be resolved."
		if errors.Is(err, errPrivateTarget) {
			msg = "This address is in a private, loopback or link-local network, which webhooks may not reach."
		}
		return nil, &models.ValidationError{Fields: map[string]string{"url": msg}}
	}
	return models.CreateWebhook(ctx, a.db, models.NewWebhook{URL: rawURL, Events: events, Actor: actor})
}

// dialHook connects to a resolved, allowed address of the host, never
// to whatever the name resolves to a moment later.
func (a *App) dialHook(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	addrs, err := a.hookAddrs(ctx, host)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: hookTimeout}
	var last error
	for _, ip := range addrs {
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		last = err
	}
	return nil, last
}

func (a *App) newHookClient() *http.Client {
	return &http.Client{
		Timeout: hookTimeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           a.dialHook,
			TLSHandshakeTimeout:   hookTimeout,
			ResponseHeaderTimeout: hookTimeout,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       time.Minute,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// signHook is the Standard Webhooks signature of a message: "v1," and the
// base64 HMAC-SHA256, keyed by the secret's base64-decoded bytes, of
// "id.timestamp.body".
func signHook(secret, id string, ts int64, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return "", fmt.Errorf("webhook secret: %w", err)
	}
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%d.", id, ts)
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// hookBody is the message a receiver gets: its type, when it happened,
// and what it is about, the idea's URL added.
func (a *App) hookBody(args *models.WebhookArgs) ([]byte, error) {
	var data map[string]any
	if err := json.Unmarshal(args.Data, &data); err != nil {
		return nil, err
	}
	if idea, ok := data["idea"].(map[string]any); ok {
		id, _ := idea["id"].(float64)
		slug, _ := idea["slug"].(string)
		idea["url"] = a.cfg.URL(ideaPath(int64(id), slug))
	}
	return json.Marshal(map[string]any{"type": args.Type, "timestamp": args.At.UTC().Format(time.RFC3339), "data": data})
}

// deliverWebhook sends one message to one endpoint and logs the attempt.
// Anything but a 2xx answer is retried with backoff; after the last
// attempt the endpoint is disabled, with the reason shown to admins.
func (a *App) deliverWebhook(ctx context.Context, j *models.Job) error {
	var args models.WebhookArgs
	if err := j.Decode(&args); err != nil {
		return permanent(err)
	}
	hook, err := models.WebhookByID(ctx, a.db, args.WebhookID)
	if errors.Is(err, models.ErrNotFound) {
		return nil // deleted since
	}
	if err != nil {
		return err
	}
	if hook.DisabledAt != nil {
		return permanent(fmt.Errorf("webhook %d is disabled: %s", hook.ID, hook.DisabledReason))
	}
	body, err := a.hookBody(&args)
	if err != nil {
		return permanent(err)
	}
	ts := a.db.Now().Unix()
	sig, err := signHook(hook.Secret, args.MessageID, ts, body)
	if err != nil {
		return permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader(body))
	if err != nil {
		return permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Cluetrain-Webhooks/1")
	req.Header.Set("webhook-id", args.MessageID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)

	d := &models.WebhookDelivery{WebhookID: hook.ID, MessageID: args.MessageID, Event: args.Type, Attempt: j.Attempts}
	start := time.Now()
	resp, err := a.hookClient.Do(req)
	d.DurationMS = int(time.Since(start).Milliseconds())
	var failure error
	if err != nil {
		d.Error = err.Error()
		failure = err
	} else {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 500))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		d.Status, d.Response = resp.StatusCode, string(snippet)
		if !d.OK() {
			failure = fmt.Errorf("%s answered %d", hook.URL, resp.StatusCode)
			d.Error = failure.Error()
		}
	}
	if lerr := models.RecordDelivery(ctx, a.db, d); lerr != nil {
		a.log.Warn("log webhook delivery", "webhook", hook.ID, "err", lerr)
	}
	if failure == nil {
		return nil
	}
	if j.Attempts >= j.MaxAttempts {
		reason := fmt.Sprintf("Disabled after %d failed attempts to deliver %s; the last: %s", j.Attempts, args.MessageID, d.Error)
		if err := models.DisableWebhook(ctx, a.db, hook.ID, reason); err != nil {
			a.log.Error("disable webhook", "webhook", hook.ID, "err", err)
		}
	}
	return failure
}
