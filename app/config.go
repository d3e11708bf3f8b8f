package app

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/caarlos0/env/v11"
)

// Config is everything the portal reads from its environment, loaded once at
// start and passed down explicitly. Every variable is optional.
type Config struct {
	Port        string   `env:"PORT" envDefault:"3000"`
	BaseURL     string   `env:"BASE_URL"`
	DatabaseURL string   `env:"DATABASE_URL" envDefault:"sqlite:data/cluetrain.db"`
	SecretKey   string   `env:"SECRET_KEY"`
	AdminEmails []string `env:"ADMIN_EMAILS" envSeparator:","`

	GitHubKey    string `env:"GITHUB_KEY"`
	GitHubSecret string `env:"GITHUB_SECRET"`
	GoogleKey    string `env:"GOOGLE_KEY"`
	GoogleSecret string `env:"GOOGLE_SECRET"`
	GitLabKey    string `env:"GITLAB_KEY"`
	GitLabSecret string `env:"GITLAB_SECRET"`

	OIDCIssuer       string `env:"OIDC_ISSUER"`
	OIDCClientID     string `env:"OIDC_CLIENT_ID"`
	OIDCClientSecret string `env:"OIDC_CLIENT_SECRET"`
	OIDCName         string `env:"OIDC_NAME" envDefault:"OpenID Connect"`

	SMTPURL  string `env:"SMTP_URL"`
	MailFrom string `env:"MAIL_FROM"`

	// SSOSecret signs the tokens of sign-in from the company's own app;
	// SSOLoginURL is where Sign in sends people when set.
	SSOSecret   string `env:"SSO_SECRET"`
	SSOLoginURL string `env:"SSO_LOGIN_URL"`

	// WebhookAllowNetworks lists CIDR ranges webhooks may reach although
	// private (an in-house chat server, say).
	WebhookAllowNetworks []string `env:"WEBHOOK_ALLOW_NETWORKS" envSeparator:","`

	// TrustedProxies lists peer addresses or CIDR ranges whose
	// X-Forwarded-For header is believed, for the hop they add.
	TrustedProxies []string `env:"TRUSTED_PROXIES" envSeparator:","`
	// LogLevel is debug, info, warn or error.
	LogLevel string `env:"LOG_LEVEL" envDefault:"info"`

	// MetricsToken, when set, is the bearer token /metrics asks for.
	MetricsToken string `env:"METRICS_TOKEN"`

	// PortNumber, Base and TrustedNets are derived from Port, BaseURL and
	// TrustedProxies by Validate.
	PortNumber       int            `env:"-"`
	Base             *url.URL       `env:"-"`
	TrustedNets      []netip.Prefix `env:"-"`
	WebhookAllowNets []netip.Prefix `env:"-"`
}

// ConfigError names the variable that is wrong and why.
type ConfigError struct {
	Var, Problem string
}

func (e *ConfigError) Error() string { return e.Var + ": " + e.Problem }

// LoadConfig reads the environment (lookup is os.LookupEnv in production) and
// validates it.
func LoadConfig(environ map[string]string) (Config, error) {
	var cfg Config
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: environ}); err != nil {
		return cfg, fmt.Errorf("configuration: %w", err)
	}
	return cfg, cfg.Validate()
}

// Validate checks values and fills the derived fields.
func (c *Config) Validate() error {
	port, err := strconv.Atoi(strings.TrimSpace(c.Port))
	if err != nil || port < 1 || port > 65535 {
		return &ConfigError{"PORT", fmt.Sprintf("%q is not a port number (1-65535)", c.Port)}
	}
	c.PortNumber = port

	if c.BaseURL == "" {
		c.BaseURL = "http://localhost:" + strconv.Itoa(port)
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return &ConfigError{"BASE_URL", fmt.Sprintf("%q is not an absolute http(s) URL", c.BaseURL)}
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return &ConfigError{"BASE_URL", "must not carry a query or fragment"}
	}
	u.Path = strings.TrimRight(u.Path, "/")
	c.Base = u
	c.BaseURL = u.String()

	switch {
	case strings.HasPrefix(c.DatabaseURL, "sqlite:"):
		if strings.TrimPrefix(strings.TrimPrefix(c.DatabaseURL, "sqlite:"), "//") == "" {
			return &ConfigError{"DATABASE_URL", "sqlite: needs a file path, e.g. sqlite:data/cluetrain.db"}
		}
	case strings.HasPrefix(c.DatabaseURL, "postgres://"), strings.HasPrefix(c.DatabaseURL, "postgresql://"):
		if _, err := url.Parse(c.DatabaseURL); err != nil {
			return &ConfigError{"DATABASE_URL", "is not a valid postgres:// URL"}
		}
	default:
		scheme, _, _ := strings.Cut(c.DatabaseURL, ":")
		return &ConfigError{"DATABASE_URL", fmt.Sprintf("unknown scheme %q (want sqlite:PATH or postgres://...)", scheme)}
	}

	for i, e := range c.AdminEmails {
		e = strings.ToLower(strings.TrimSpace(e))
		if at := strings.LastIndexByte(e, '@'); at < 1 || at == len(e)-1 || strings.ContainsAny(e, " <>,;") {
			return &ConfigError{"ADMIN_EMAILS", fmt.Sprintf("%q is not an email address", e)}
		}
		c.AdminEmails[i] = e
	}
	pairs := []struct{ key, secret, name string }{
		{c.GitHubKey, c.GitHubSecret, "GITHUB"},
		{c.GoogleKey, c.GoogleSecret, "GOOGLE"},
		{c.GitLabKey, c.GitLabSecret, "GITLAB"},
	}
	for _, p := range pairs {
		if (p.key == "") != (p.secret == "") {
			return &ConfigError{p.name + "_KEY", "set " + p.name + "_KEY and " + p.name + "_SECRET together"}
		}
	}
	if c.OIDCIssuer != "" {
		if iu, err := url.Parse(c.OIDCIssuer); err != nil || (iu.Scheme != "http" && iu.Scheme != "https") || iu.Host == "" {
			return &ConfigError{"OIDC_ISSUER", fmt.Sprintf("%q is not an absolute http(s) URL", c.OIDCIssuer)}
		}
		if c.OIDCClientID == "" {
			return &ConfigError{"OIDC_CLIENT_ID", "is required when OIDC_ISSUER is set"}
		}
	}
	if c.SMTPURL != "" {
		su, err := url.Parse(c.SMTPURL)
		if err != nil || (su.Scheme != "smtp" && su.Scheme != "smtps" && su.Scheme != "smtp+plain") || su.Hostname() == "" {
			return &ConfigError{"SMTP_URL", "want smtp://user:pass@host:port, smtps://... or smtp+plain://host:port"}
		}
		if c.MailFrom == "" {
			return &ConfigError{"MAIL_FROM", "is required when SMTP_URL is set"}
		}
	}
	c.TrustedNets = nil
	for i, p := range c.TrustedProxies {
		p = strings.TrimSpace(p)
		c.TrustedProxies[i] = p
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil || addr.Zone() != "" {
				return &ConfigError{"TRUSTED_PROXIES", fmt.Sprintf("%q is not an IP address or CIDR range", p)}
			}
			addr = addr.Unmap()
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		c.TrustedNets = append(c.TrustedNets, prefix.Masked())
	}
	c.WebhookAllowNets = nil
	for _, p := range c.WebhookAllowNetworks {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			return &ConfigError{"WEBHOOK_ALLOW_NETWORKS", fmt.Sprintf("%q is not a CIDR range such as 10.1.0.0/16", p)}
		}
		c.WebhookAllowNets = append(c.WebhookAllowNets, prefix.Masked())
	}
	if c.SSOLoginURL != "" {
		if su, err := url.Parse(c.SSOLoginURL); err != nil || (su.Scheme != "http" && su.Scheme != "https") || su.Host == "" {
			return &ConfigError{"SSO_LOGIN_URL", fmt.Sprintf("%q is not an absolute http(s) URL", c.SSOLoginURL)}
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return &ConfigError{"LOG_LEVEL", "want debug, info, warn or error"}
	}
	return nil
}

// Secure reports whether the portal is served over https.
func (c *Config) Secure() bool { return c.Base != nil && c.Base.Scheme == "https" }

// URL makes an absolute URL from a path, always from BASE_URL.
func (c *Config) URL(path string) string { return c.BaseURL + path }
