package app

import (
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// clientIP is the address a request came from, as abuse limits and the
// request log see it. Without TRUSTED_PROXIES it is the connecting address.
// Behind trusted proxies only the hops they added are believed: each proxy
// appends the address it received the request from to X-Forwarded-For, so
// the header is read from the right, past every trusted address, and the
// first other address is the client. Whatever lies to the left of it was
// written by the client and could say anything. A value that is not an
// address ends the walk at the connecting address, which is at least not
// the client's to choose.
func (a *App) clientIP(c *fiber.Ctx) string {
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return c.Context().RemoteIP().String()
	}
	peer = peer.Unmap()
	if !a.trustedProxy(peer) {
		return peer.String()
	}
	client := peer
	var hops []string
	for _, v := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
		hops = append(hops, strings.Split(string(v), ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		addr, ok := parseHop(hops[i])
		if !ok {
			return peer.String()
		}
		client = addr
		if !a.trustedProxy(addr) {
			break
		}
	}
	return client.String()
}

// parseHop reads one X-Forwarded-For entry: an address, which some proxies
// write with a port.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	addr, err := netip.ParseAddr(s)
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		if perr != nil {
			return netip.Addr{}, false
		}
		addr = ap.Addr()
	}
	return addr.WithZone("").Unmap(), true
}

// trustedProxy reports whether addr is one of TRUSTED_PROXIES.
func (a *App) trustedProxy(addr netip.Addr) bool {
	for _, p := range a.cfg.TrustedNets {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
