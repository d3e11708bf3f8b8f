// Package oauth sets up the sign-in providers (GitHub, Google, GitLab and any
// OpenID Connect provider) on goth, used directly: the caller keeps the state
// and the provider's session data in its own session store. On top of goth it
// adds PKCE for OpenID Connect, sends a nonce, and verifies the ID token's
// signature, issuer, audience, expiry and nonce against the provider's
// published keys.
package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/markbates/goth"
	"github.com/markbates/goth/providers/github"
	"github.com/markbates/goth/providers/gitlab"
	"github.com/markbates/goth/providers/google"
	"github.com/markbates/goth/providers/openidConnect"
	"golang.org/x/oauth2"
)

// Profile is what a provider asserts about the person who signed in.
type Profile struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	AvatarURL     string
}

// Provider is one configured way to sign in.
type Provider struct {
	// Name is the provider's name in routes: github, google, gitlab, oidc.
	Name string
	// Label is the text of its button.
	Label string
	// AvatarHosts are the hosts its profile pictures come from, over
	// https; "*." matches any subdomain. Pictures elsewhere are not shown.
	AvatarHosts []string

	pkce     bool
	verified func(goth.User) bool
	setup    func(ctx context.Context) (goth.Provider, *oidc.IDTokenVerifier, error)

	mu       sync.Mutex
	goth     goth.Provider
	verifier *oidc.IDTokenVerifier
}

// Start is how a sign-in begins: send the browser to URL, and keep the rest
// (with the state) until the callback, where Finish needs it.
type Start struct {
	URL      string
	Session  string // the provider's own session data
	Verifier string // the PKCE code verifier
	Nonce    string // OpenID Connect: the nonce the ID token must carry
}

// Config names the providers to set up; a provider without its key is left
// out.
type Config struct {
	BaseURL                        string
	GitHubKey, GitHubSecret        string
	GoogleKey, GoogleSecret        string
	GitLabKey, GitLabSecret        string
	OIDCIssuer, OIDCName           string
	OIDCClientID, OIDCClientSecret string
}

// timeout bounds every request to a provider.
const timeout = 10 * time.Second

func newClient() *http.Client { return &http.Client{Timeout: timeout} }

// CallbackURL is where a provider sends the browser back to.
func CallbackURL(baseURL, name string) string { return baseURL + "/auth/" + name + "/callback" }

// FromConfig returns the configured providers in button order.
func FromConfig(cfg Config) []*Provider {
	var ps []*Provider
	if cfg.GitHubKey != "" {
		ps = append(ps, GitHub(cfg.GitHubKey, cfg.GitHubSecret, CallbackURL(cfg.BaseURL, "github"), GitHubEndpoints{}))
	}
	if cfg.GoogleKey != "" {
		ps = append(ps, Google(cfg.GoogleKey, cfg.GoogleSecret, CallbackURL(cfg.BaseURL, "google")))
	}
	if cfg.GitLabKey != "" {
		ps = append(ps, GitLab(cfg.GitLabKey, cfg.GitLabSecret, CallbackURL(cfg.BaseURL, "gitlab")))
	}
	if cfg.OIDCIssuer != "" {
		ps = append(ps, OIDC(cfg.OIDCName, cfg.OIDCIssuer, cfg.OIDCClientID, cfg.OIDCClientSecret, CallbackURL(cfg.BaseURL, "oidc")))
	}
	return ps
}

// GitHubEndpoints overrides GitHub's URLs (for GitHub Enterprise); empty
// fields keep github.com's.
type GitHubEndpoints struct {
	Auth, Token, Profile, Email string
}

// GitHub signs in with GitHub. GitHub lets people publish only a verified
// address, and goth otherwise asks for the primary verified one, so the
// address it returns counts as verified.
func GitHub(key, secret, callback string, ep GitHubEndpoints) *Provider {
	or := func(v, def string) string {
		if v != "" {
			return v
		}
		return def
	}
	gp := github.NewCustomisedURL(key, secret, callback,
		or(ep.Auth, github.AuthURL), or(ep.Token, github.TokenURL),
		or(ep.Profile, github.ProfileURL), or(ep.Email, github.EmailURL),
		"read:user", "user:email")
	gp.HTTPClient = newClient()
	p := ready("github", "GitHub", gp, func(u goth.User) bool { return u.Email != "" })
	p.AvatarHosts = []string{"avatars.githubusercontent.com"}
	return p
}

// Google signs in with Google, whose profile says whether the address is
// verified.
func Google(key, secret, callback string) *Provider {
	gp := google.New(key, secret, callback, "email", "profile")
	gp.HTTPClient = newClient()
	p := ready("google", "Google", gp, func(u goth.User) bool { return truthy(u.RawData["verified_email"]) })
	p.AvatarHosts = []string{"*.googleusercontent.com"}
	return p
}

// GitLab signs in with GitLab.com; an address counts as verified once
// GitLab has confirmed it.
func GitLab(key, secret, callback string) *Provider {
	gp := gitlab.NewCustomisedURL(key, secret, callback, gitlab.AuthURL, gitlab.TokenURL, "https://gitlab.com/api/v4/user", "read_user")
	gp.HTTPClient = newClient()
	p := ready("gitlab", "GitLab", gp, func(u goth.User) bool {
		s, ok := u.RawData["confirmed_at"].(string)
		return ok && s != ""
	})
	// GitLab serves uploaded pictures itself and others from Gravatar.
	p.AvatarHosts = []string{"gitlab.com", "secure.gravatar.com"}
	return p
}

func ready(name, label string, gp goth.Provider, verified func(goth.User) bool) *Provider {
	gp.SetName(name)
	return &Provider{Name: name, Label: label, goth: gp, verified: verified}
}

// OIDC signs in with any OpenID Connect provider, found by discovery from
// its issuer URL. Discovery happens at the first sign-in (and again after a
// failure), so a provider that is down does not stop the portal starting.
// Its pictures may live anywhere, so none are shown.
func OIDC(label, issuer, clientID, secret, callback string) *Provider {
	if label == "" {
		label = "OpenID Connect"
	}
	client := newClient()
	p := &Provider{Name: "oidc", Label: label, pkce: true}
	p.verified = func(u goth.User) bool { return truthy(u.RawData["email_verified"]) }
	p.setup = func(ctx context.Context) (goth.Provider, *oidc.IDTokenVerifier, error) {
		ctx = oidc.ClientContext(ctx, client)
		op, err := oidc.NewProvider(ctx, strings.TrimRight(issuer, "/"))
		if err != nil {
			return nil, nil, fmt.Errorf("discover %s: %w", issuer, err)
		}
		var meta struct {
			Issuer   string `json:"issuer"`
			UserInfo string `json:"userinfo_endpoint"`
		}
		if err := op.Claims(&meta); err != nil {
			return nil, nil, fmt.Errorf("discover %s: %w", issuer, err)
		}
		ep := op.Endpoint()
		// Scopes in this order: some providers return an ID token only
		// when openid comes first.
		gp, err := openidConnect.NewCustomisedURL(clientID, secret, callback, ep.AuthURL, ep.TokenURL, meta.Issuer, meta.UserInfo, "", "openid", "profile", "email")
		if err != nil {
			return nil, nil, fmt.Errorf("set up %s: %w", issuer, err)
		}
		gp.HTTPClient = client
		gp.SetName("oidc")
		return gp, op.Verifier(&oidc.Config{ClientID: clientID}), nil
	}
	return p
}

// Prepare sets the provider up if it is not yet (OpenID Connect discovery).
func (p *Provider) Prepare(ctx context.Context) error {
	_, _, err := p.provider(ctx)
	return err
}

func (p *Provider) provider(ctx context.Context) (goth.Provider, *oidc.IDTokenVerifier, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.goth == nil {
		gp, v, err := p.setup(ctx)
		if err != nil {
			return nil, nil, err
		}
		p.goth, p.verifier = gp, v
	}
	return p.goth, p.verifier, nil
}

// Begin starts a sign-in carrying state.
func (p *Provider) Begin(ctx context.Context, state string) (Start, error) {
	gp, idv, err := p.provider(ctx)
	if err != nil {
		return Start{}, err
	}
	sess, err := gp.BeginAuth(state)
	if err != nil {
		return Start{}, fmt.Errorf("%s: begin: %w", p.Name, err)
	}
	authURL, err := sess.GetAuthURL()
	if err != nil {
		return Start{}, fmt.Errorf("%s: begin: %w", p.Name, err)
	}
	st := Start{URL: authURL, Session: sess.Marshal()}
	extra := url.Values{}
	if p.pkce {
		st.Verifier = oauth2.GenerateVerifier()
		extra.Set("code_challenge", oauth2.S256ChallengeFromVerifier(st.Verifier))
		extra.Set("code_challenge_method", "S256")
	}
	if idv != nil {
		// The ID token must echo this, so one issued for another sign-in
		// (replayed, or injected with a stolen code) is refused.
		st.Nonce = oauth2.GenerateVerifier()
		extra.Set("nonce", st.Nonce)
	}
	if len(extra) > 0 {
		u, err := url.Parse(authURL)
		if err != nil {
			return Start{}, fmt.Errorf("%s: auth URL: %w", p.Name, err)
		}
		q := u.Query()
		for k, v := range extra {
			q[k] = v
		}
		u.RawQuery = q.Encode()
		st.URL = u.String()
	}
	return st, nil
}

var (
	// ErrNoSubject is returned when a provider names nobody.
	ErrNoSubject = errors.New("provider returned no user id")
	// ErrNonce is returned for an ID token issued for another sign-in.
	ErrNonce = errors.New("ID token nonce does not match")
)

// Finish completes a sign-in from the callback's query (whose state the
// caller has already checked), given what Begin returned, and returns who
// signed in.
func (p *Provider) Finish(ctx context.Context, st Start, query url.Values) (Profile, error) {
	gp, idv, err := p.provider(ctx)
	if err != nil {
		return Profile{}, err
	}
	sess, err := gp.UnmarshalSession(st.Session)
	if err != nil {
		return Profile{}, fmt.Errorf("%s: session: %w", p.Name, err)
	}
	params := url.Values{"code": {query.Get("code")}}
	if st.Verifier != "" {
		params.Set("code_verifier", st.Verifier)
	}
	if _, err := sess.Authorize(gp, params); err != nil {
		return Profile{}, fmt.Errorf("%s: exchange code: %w", p.Name, err)
	}
	subject := ""
	if idv != nil {
		raw := ""
		if oidcSess, ok := sess.(*openidConnect.Session); ok {
			raw = oidcSess.IDToken
		}
		if raw == "" {
			return Profile{}, fmt.Errorf("%s: no ID token in the token response", p.Name)
		}
		tok, err := idv.Verify(ctx, raw)
		if err != nil {
			return Profile{}, fmt.Errorf("%s: ID token: %w", p.Name, err)
		}
		if st.Nonce == "" || subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(st.Nonce)) != 1 {
			return Profile{}, fmt.Errorf("%s: %w", p.Name, ErrNonce)
		}
		subject = tok.Subject
	}
	u, err := gp.FetchUser(sess)
	if errors.Is(err, github.ErrNoVerifiedGitHubPrimaryEmail) {
		// Still a GitHub account, just one without an address to trust.
		u.Email, err = "", nil
	}
	if err != nil {
		return Profile{}, fmt.Errorf("%s: fetch user: %w", p.Name, err)
	}
	if u.UserID == "" || (subject != "" && u.UserID != subject) {
		return Profile{}, fmt.Errorf("%s: %w", p.Name, ErrNoSubject)
	}
	name := u.Name
	if name == "" {
		name = strings.TrimSpace(u.FirstName + " " + u.LastName)
	}
	if name == "" {
		name = u.NickName
	}
	return Profile{
		Subject:       u.UserID,
		Email:         u.Email,
		EmailVerified: u.Email != "" && p.verified(u),
		Name:          name,
		AvatarURL:     u.AvatarURL,
	}, nil
}

// truthy reads a JSON boolean that some providers send as a string.
func truthy(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return b == "true"
	}
	return false
}
