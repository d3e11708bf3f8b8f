package app

import (
	"errors"
	"strings"
	"testing"
)

func TestConfigDefaults(t *testing.T) {
	cfg, err := LoadConfig(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PortNumber != 3000 || cfg.BaseURL != "http://localhost:3000" || cfg.DatabaseURL != "sqlite:data/cluetrain.db" {
		t.Errorf("defaults = port %d, base %q, db %q", cfg.PortNumber, cfg.BaseURL, cfg.DatabaseURL)
	}
	if cfg.Secure() {
		t.Error("http default reported secure")
	}
	cfg, err = LoadConfig(map[string]string{"PORT": "8080", "BASE_URL": "https://feedback.example.com/", "ADMIN_EMAILS": " Ada@Example.com ,bob@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseURL != "https://feedback.example.com" || !cfg.Secure() || cfg.URL("/roadmap") != "https://feedback.example.com/roadmap" {
		t.Errorf("base = %q", cfg.BaseURL)
	}
	if strings.Join(cfg.AdminEmails, ",") != "ada@example.com,bob@example.com" {
		t.Errorf("admin emails = %q", cfg.AdminEmails)
	}
}

func TestConfigErrorsNameTheVariable(t *testing.T) {
	cases := []struct {
		env     map[string]string
		wantVar string
	}{
		{map[string]string{"PORT": "abc"}, "PORT"},
		{map[string]string{"PORT": "70000"}, "PORT"},
		{map[string]string{"BASE_URL": "example.com"}, "BASE_URL"},
		{map[string]string{"BASE_URL": "ftp://example.com"}, "BASE_URL"},
		{map[string]string{"BASE_URL": "/relative"}, "BASE_URL"},
		{map[string]string{"DATABASE_URL": "mysql://x"}, "DATABASE_URL"},
		{map[string]string{"DATABASE_URL": "sqlite:"}, "DATABASE_URL"},
		{map[string]string{"GITHUB_KEY": "k"}, "GITHUB_KEY"},
		{map[string]string{"OIDC_ISSUER": "not a url"}, "OIDC_ISSUER"},
		{map[string]string{"OIDC_ISSUER": "https://id.example.com"}, "OIDC_CLIENT_ID"},
		{map[string]string{"SMTP_URL": "http://mail"}, "SMTP_URL"},
		{map[string]string{"SMTP_URL": "smtp://mail:25"}, "MAIL_FROM"},
		{map[string]string{"TRUSTED_PROXIES": "10.0.0.0/99"}, "TRUSTED_PROXIES"},
		{map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{map[string]string{"ADMIN_EMAILS": "ada@example.com,notanemail"}, "ADMIN_EMAILS"},
	}
	for _, c := range cases {
		_, err := LoadConfig(c.env)
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%v: err = %v, want a ConfigError", c.env, err)
			continue
		}
		if ce.Var != c.wantVar {
			t.Errorf("%v: error names %s, want %s", c.env, ce.Var, c.wantVar)
		}
		if !strings.HasPrefix(err.Error(), c.wantVar+": ") {
			t.Errorf("%v: message %q does not start with the variable", c.env, err)
		}
	}
}
