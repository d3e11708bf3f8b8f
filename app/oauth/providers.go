package oauth

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/markbates/goth"
	"github.com/markbates/goth/providers/github"
	"github.com/markbates/goth/providers/gitlab"
	"github.com/markbates/goth/providers/google"
	"github.com/markbates/goth/providers/openidConnect"
	"golang.org/x/oauth2"
)

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
	authURL, tokenURL := or(ep.Auth, github.AuthURL), or(ep.Token, github.TokenURL)
	client := newClient()
	gp := github.NewCustomisedURL(key, secret, callback, authURL, tokenURL,
		or(ep.Profile, github.ProfileURL), or(ep.Email, github.EmailURL),
		"read:user", "user:email")
	gp.HTTPClient = client
	p := ready("github", "GitHub", gp, exchange(key, secret, callback, authURL, tokenURL), client,
		func(u goth.User) bool { return u.Email != "" })
	p.AvatarHosts = []string{"avatars.githubusercontent.com"}
	return p
}

// Google signs in with Google, whose profile says whether the address is
// verified.
func Google(key, secret, callback string) *Provider {
	client := newClient()
	gp := google.New(key, secret, callback, "email", "profile")
	gp.HTTPClient = client
	p := ready("google", "Google", gp, exchange(key, secret, callback, google.Endpoint.AuthURL, google.Endpoint.TokenURL), client,
		func(u goth.User) bool { return truthy(u.RawData["verified_email"]) })
	p.AvatarHosts = []string{"*.googleusercontent.com"}
	return p
}

// GitLab signs in with GitLab.com; an address counts as verified once
// GitLab has confirmed it.
func GitLab(key, secret, callback string) *Provider {
	client := newClient()
	gp := gitlab.NewCustomisedURL(key, secret, callback, gitlab.AuthURL, gitlab.TokenURL, "https://gitlab.com/api/v4/user", "read_user")
	gp.HTTPClient = client
	p := ready("gitlab", "GitLab", gp, exchange(key, secret, callback, gitlab.AuthURL, gitlab.TokenURL), client,
		func(u goth.User) bool {
			s, ok := u.RawData["confirmed_at"].(string)
			return ok && s != ""
		})
	// GitLab serves uploaded pictures itself and others from Gravatar.
	p.AvatarHosts = []string{"gitlab.com", "secure.gravatar.com"}
	return p
}

// exchange is the OAuth 2 configuration the code is exchanged with.
func exchange(key, secret, callback, authURL, tokenURL string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: key, ClientSecret: secret, RedirectURL: callback,
		Endpoint: oauth2.Endpoint{AuthURL: authURL, TokenURL: tokenURL},
	}
}

func ready(name, label string, gp goth.Provider, ex *oauth2.Config, client *http.Client, verified func(goth.User) bool) *Provider {
	gp.SetName(name)
	return &Provider{Name: name, Label: label, verified: verified, b: &backend{goth: gp, exchange: ex, client: client}}
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
	p := &Provider{Name: "oidc", Label: label}
	p.verified = func(u goth.User) bool { return truthy(u.RawData["email_verified"]) }
	p.customer = customerClaims
	p.setup = func(ctx context.Context) (*backend, error) {
		ctx = oidc.ClientContext(ctx, client)
		op, err := oidc.NewProvider(ctx, strings.TrimRight(issuer, "/"))
		if err != nil {
			return nil, fmt.Errorf("discover %s: %w", issuer, err)
		}
		var meta struct {
			Issuer   string `json:"issuer"`
			UserInfo string `json:"userinfo_endpoint"`
		}
		if err := op.Claims(&meta); err != nil {
			return nil, fmt.Errorf("discover %s: %w", issuer, err)
		}
		ep := op.Endpoint()
		// Scopes in this order: some providers return an ID token only
		// when openid comes first.
		gp, err := openidConnect.NewCustomisedURL(clientID, secret, callback, ep.AuthURL, ep.TokenURL, meta.Issuer, meta.UserInfo, "", "openid", "profile", "email")
		if err != nil {
			return nil, fmt.Errorf("set up %s: %w", issuer, err)
		}
		gp.HTTPClient = client
		gp.SetName("oidc")
		return &backend{
			goth:     gp,
			exchange: &oauth2.Config{ClientID: clientID, ClientSecret: secret, RedirectURL: callback, Endpoint: ep},
			client:   client,
			verifier: op.Verifier(&oidc.Config{ClientID: clientID}),
		}, nil
	}
	return p
}

// customerClaims reads who the person is to the company from an OpenID
// Connect provider's claims: "company" and "plan" (strings) and "mrr"
// (their monthly revenue as a number in whole currency units, like the
// API's and single sign-on's; cents are kept to two places). A claim that
// is absent or of another type is left out; nil when none is there.
func customerClaims(u goth.User) *Customer {
	var c Customer
	if s, ok := u.RawData["company"].(string); ok {
		s = strings.TrimSpace(s)
		c.Company = &s
	}
	if s, ok := u.RawData["plan"].(string); ok {
		s = strings.TrimSpace(s)
		c.Plan = &s
	}
	var mrr float64
	var have bool
	switch v := u.RawData["mrr"].(type) {
	case float64:
		mrr, have = v, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		mrr, have = f, err == nil
	}
	if have && mrr >= 0 && mrr < 1e13 && !math.IsNaN(mrr) {
		cents := int64(math.Round(mrr * 100))
		c.MRRCents = &cents
	}
	if c.Company == nil && c.Plan == nil && c.MRRCents == nil {
		return nil
	}
	return &c
}

// setTokens puts the exchanged tokens into goth's session, where its
// FetchUser looks for them.
func setTokens(sess goth.Session, tok *oauth2.Token) error {
	idToken, _ := tok.Extra("id_token").(string)
	switch s := sess.(type) {
	case *github.Session:
		s.AccessToken = tok.AccessToken
	case *google.Session:
		s.AccessToken, s.RefreshToken, s.ExpiresAt, s.IDToken = tok.AccessToken, tok.RefreshToken, tok.Expiry, idToken
	case *gitlab.Session:
		s.AccessToken, s.RefreshToken, s.ExpiresAt = tok.AccessToken, tok.RefreshToken, tok.Expiry
	case *openidConnect.Session:
		s.AccessToken, s.RefreshToken, s.ExpiresAt, s.IDToken = tok.AccessToken, tok.RefreshToken, tok.Expiry, idToken
	default:
		return fmt.Errorf("unexpected session type %T", sess)
	}
	return nil
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
