package app

import (
	"net/url"
	"slices"
	"strings"

	"github.com/cluetrain/cluetrain/app/oauth"
	"github.com/cluetrain/cluetrain/models"
)

// Pages load images from the portal itself and, for the signed-in person's
// own picture, from the hosts of the configured sign-in providers: nowhere
// else, so no page can be made to report its readers to a third party.

// avatarHosts are the picture hosts of the providers, each once.
func avatarHosts(providers []*oauth.Provider) []string {
	var hosts []string
	for _, p := range providers {
		for _, h := range p.AvatarHosts {
			if !slices.Contains(hosts, h) {
				hosts = append(hosts, h)
			}
		}
	}
	return hosts
}

// avatarURL is the person's picture if it comes from one of those hosts
// over https, else "" (and pages show their initial instead).
func (a *App) avatarURL(u *models.User) string {
	if u == nil || u.AvatarURL == "" {
		return ""
	}
	p, err := url.Parse(u.AvatarURL)
	if err != nil || p.Scheme != "https" || p.User != nil || p.Port() != "" {
		return ""
	}
	host := strings.ToLower(p.Hostname())
	for _, h := range a.avatarHosts {
		if host == h || strings.HasPrefix(h, "*.") && strings.HasSuffix(host, h[1:]) {
			return u.AvatarURL
		}
	}
	return ""
}
