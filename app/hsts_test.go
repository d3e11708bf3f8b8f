package app

import (
	"testing"

	"github.com/cluetrain/cluetrain/models/dbtest"
)

// Browsers are told to stay on https whenever the portal's public address
// is https, although the request reached it over plain http from the proxy
// that ended TLS; never when the portal is served over http.
func TestHSTSFollowsBaseURL(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	for _, tc := range []struct {
		base, want string
	}{
		{"https://portal.test", "max-age=63072000; includeSubDomains"},
		{"http://portal.test", ""},
	} {
		ta := newTestAppWith(t, db, map[string]string{"BASE_URL": tc.base}, WithoutRateLimits())
		for _, path := range []string{"/", "/login", "/no-such-page", "/feeds/ideas.atom", "/healthz"} {
			resp := ta.client().get(path)
			body(t, resp)
			if got := resp.Header.Get("Strict-Transport-Security"); got != tc.want {
				t.Errorf("%s%s: Strict-Transport-Security = %q, want %q", tc.base, path, got, tc.want)
			}
		}
	}
}
