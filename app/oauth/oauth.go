// Package oauth sets up the sign-in providers (GitHub, Google, GitLab and any
// OpenID Connect provider) on goth, used directly: the caller keeps the state
// and the provider's session data in its own session store. goth builds the
// authorize URL and reads the profile; on top of it this package uses PKCE
// with every provider (exchanging the code itself, since goth's providers
// other than OpenID Connect would drop the verifier), sends an OpenID
// Connect nonce, and verifies the ID token's signature, issuer, audience,
// expiry and nonce against the provider's published keys.
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

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/markbates/goth"
	"github.com/markbates/goth/providers/github"
	"golang.org/x/oauth2"
)

// Profile is what a provider asserts about the person who signed in.
type Profile struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	AvatarURL     string

	// Who the person is to the company, when the provider says: only
	// the generic OpenID Connect provider is asked (see OIDC).
	Customer *Customer
}

// Customer is the customer attributes an identity provider may assert;
// nil fields were not asserted.
type Customer struct {
	Company, Plan *string
	MRRCents      *int64
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

	verified func(goth.User) bool
	customer func(goth.User) *Customer // nil: the provider asserts none
	setup    func(ctx context.Context) (*backend, error)

	mu sync.Mutex
	b  *backend
}

// backend is a provider once set up (for OpenID Connect, after discovery).
type backend struct {
	goth     goth.Provider
	exchange *oauth2.Config // the code is exchanged with this, and the PKCE verifier
	client   *http.Client
	verifier *oidc.IDTokenVerifier // OpenID Connect only
}

// Start is how a sign-in begins: send the browser to URL, and keep the rest
// (with the state) until the callback, where Finish needs it.
type Start struct {
	URL      string
	Session  string // the provider's own session data
	Verifier string // the PKCE code verifier
	Nonce    string // OpenID Connect: the nonce the ID token must carry
}

// Prepare sets the provider up if it is not yet (OpenID Connect discovery).
func (p *Provider) Prepare(ctx context.Context) error {
	_, err := p.backend(ctx)
	return err
}

func (p *Provider) backend(ctx context.Context) (*backend, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.b == nil {
		b, err := p.setup(ctx)
		if err != nil {
			return nil, err
		}
		p.b = b
	}
	return p.b, nil
}

// Begin starts a sign-in carrying state. Every provider is sent a PKCE
// challenge, so a code that leaks on its way back (in a log, a referrer, a
// proxy) is worth nothing without the verifier kept with the state.
func (p *Provider) Begin(ctx context.Context, state string) (Start, error) {
	b, err := p.backend(ctx)
	if err != nil {
		return Start{}, err
	}
	sess, err := b.goth.BeginAuth(state)
	if err != nil {
		return Start{}, fmt.Errorf("%s: begin: %w", p.Name, err)
	}
	authURL, err := sess.GetAuthURL()
	if err != nil {
		return Start{}, fmt.Errorf("%s: begin: %w", p.Name, err)
	}
	u, err := url.Parse(authURL)
	if err != nil {
		return Start{}, fmt.Errorf("%s: auth URL: %w", p.Name, err)
	}
	st := Start{Session: sess.Marshal(), Verifier: oauth2.GenerateVerifier()}
	q := u.Query()
	q.Set("code_challenge", oauth2.S256ChallengeFromVerifier(st.Verifier))
	q.Set("code_challenge_method", "S256")
	if b.verifier != nil {
		// The ID token must echo this, so one issued for another sign-in
		// (replayed, or injected with a stolen code) is refused.
		st.Nonce = oauth2.GenerateVerifier()
		q.Set("nonce", st.Nonce)
	}
	u.RawQuery = q.Encode()
	st.URL = u.String()
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
	b, err := p.backend(ctx)
	if err != nil {
		return Profile{}, err
	}
	sess, err := b.goth.UnmarshalSession(st.Session)
	if err != nil {
		return Profile{}, fmt.Errorf("%s: session: %w", p.Name, err)
	}
	var opts []oauth2.AuthCodeOption
	if st.Verifier != "" {
		opts = append(opts, oauth2.VerifierOption(st.Verifier))
	}
	tok, err := b.exchange.Exchange(context.WithValue(ctx, oauth2.HTTPClient, b.client), query.Get("code"), opts...)
	if err != nil {
		return Profile{}, fmt.Errorf("%s: exchange code: %w", p.Name, err)
	}
	if err := setTokens(sess, tok); err != nil {
		return Profile{}, fmt.Errorf("%s: %w", p.Name, err)
	}
	subject := ""
	if b.verifier != nil {
		raw, _ := tok.Extra("id_token").(string)
		if raw == "" {
			return Profile{}, fmt.Errorf("%s: no ID token in the token response", p.Name)
		}
		idt, err := b.verifier.Verify(ctx, raw)
		if err != nil {
			return Profile{}, fmt.Errorf("%s: ID token: %w", p.Name, err)
		}
		if st.Nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
			return Profile{}, fmt.Errorf("%s: %w", p.Name, ErrNonce)
		}
		subject = idt.Subject
	}
	u, err := b.goth.FetchUser(sess)
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
		Customer:      p.customerOf(u),
	}, nil
}

// customerOf reads the customer claims, for providers that assert them.
func (p *Provider) customerOf(u goth.User) *Customer {
	if p.customer == nil {
		return nil
	}
	return p.customer(u)
}
