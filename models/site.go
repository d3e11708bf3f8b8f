package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// Site is the portal's own settings: its name and look, who may join and
// which new ideas wait for approval. A new portal is public and approves
// nothing.
type Site struct {
	Name           string
	Welcome        string
	Accent         string // "#rrggbb", or "" for the built-in colours
	Approval       string // ApprovalNever, ApprovalNew or ApprovalAll
	Private        bool
	AllowedDomains []string // lower case domains, and invited addresses; empty lets anyone join
	LogoHash       string   // "" for the built-in logo
}

// DefaultSiteName is the name of a portal nobody has named.
const DefaultSiteName = "Cluetrain"

// Limits of the settings.
const (
	SiteNameMaxRunes    = 60
	SiteWelcomeMaxRunes = 1000
	LogoMaxBytes        = 512 * 1024
)

// DomainAllowed reports whether a person with the address may join a
// private portal: any address when none are listed, else one of a listed
// domain or an address invited by name.
func (s *Site) DomainAllowed(email string) bool {
	if len(s.AllowedDomains) == 0 {
		return true
	}
	email = strings.ToLower(strings.TrimSpace(email))
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return false
	}
	d := email[at+1:]
	for _, a := range s.AllowedDomains {
		if d == a || email == a {
			return true
		}
	}
	return false
}

// Domains are the allowed domains, without the invited addresses.
func (s *Site) Domains() []string {
	var ds []string
	for _, a := range s.AllowedDomains {
		if !strings.Contains(a, "@") {
			ds = append(ds, a)
		}
	}
	return ds
}

// LoadSite reads the settings; those never set have their defaults.
func LoadSite(ctx context.Context, db *DB) (*Site, error) {
	return loadSite(ctx, db.bun)
}

func loadSite(ctx context.Context, idb bun.IDB) (*Site, error) {
	var rows []struct {
		Key   string `bun:"key"`
		Value string `bun:"value"`
	}
	err := idb.NewSelect().Table("settings").Column("key", "value").
		Where("key IN (?)", bun.List([]string{settingName, settingWelcome, settingAccent, settingApproval, settingPrivate, settingAllowedDomains, settingLogo})).
		Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("load settings: %w", mapErr(err))
	}
	s := &Site{Name: DefaultSiteName, Approval: ApprovalNever}
	for _, r := range rows {
		switch r.Key {
		case settingName:
			if r.Value != "" {
				s.Name = r.Value
			}
		case settingWelcome:
			s.Welcome = r.Value
		case settingAccent:
			s.Accent = r.Value
		case settingApproval:
			if r.Value != "" {
				s.Approval = r.Value
			}
		case settingPrivate:
			s.Private = r.Value == "on"
		case settingAllowedDomains:
			if r.Value != "" {
				s.AllowedDomains = strings.Split(r.Value, ",")
			}
		case settingLogo:
			s.LogoHash = r.Value
		}
	}
	return s, nil
}

// SiteInput is the settings form as typed.
type SiteInput struct {
	Name, Welcome, Accent, Approval, Private, AllowedDomains string
	Logo                                                     []byte // nil keeps the logo
	RemoveLogo                                               bool
}

// SaveSite validates and stores the settings, with the logo if one was
// sent, and records what changed as one event, all in one transaction.
func SaveSite(ctx context.Context, db *DB, in SiteInput, admin *User) (*Site, error) {
	if !admin.IsAdmin() {
		return nil, fmt.Errorf("save settings: %w", ErrForbidden)
	}
	v := &ValidationError{}
	next := &Site{Name: strings.TrimSpace(in.Name), Welcome: strings.TrimSpace(in.Welcome), Approval: in.Approval}
	switch n := utf8.RuneCountInString(next.Name); {
	case n == 0:
		v.Add("name", "Give the portal a name.")
	case n > SiteNameMaxRunes:
		v.Add("name", fmt.Sprintf("Keep the name to %d characters or fewer.", SiteNameMaxRunes))
	}
	if utf8.RuneCountInString(next.Welcome) > SiteWelcomeMaxRunes {
		v.Add("welcome", fmt.Sprintf("Keep the welcome to %d characters or fewer.", SiteWelcomeMaxRunes))
	}
	if acc := strings.TrimSpace(in.Accent); acc != "" {
		c, msg := CheckAccent(acc)
		if msg != "" {
			v.Add("accent_color", msg)
		}
		next.Accent = c
	}
	switch in.Approval {
	case ApprovalNever, ApprovalNew, ApprovalAll:
	default:
		v.Add("approval", "Choose never, new or all.")
	}
	switch in.Private {
	case "on":
		next.Private = true
	case "off", "":
	default:
		v.Add("private", "Choose on or off.")
	}
	seen := map[string]bool{}
	for _, d := range strings.FieldsFunc(strings.ToLower(in.AllowedDomains), func(r rune) bool {
		return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t'
	}) {
		d = strings.TrimPrefix(d, "@")
		if seen[d] {
			continue
		}
		seen[d] = true
		if at := strings.LastIndexByte(d, '@'); at > 0 {
			// An invited address.
			if !validDomain(d[at+1:]) || strings.ContainsAny(d[:at], "@<>\"") {
				v.Add("allowed_domains", fmt.Sprintf("%q is not an email address such as ann@example.com.", d))
				continue
			}
		} else if !validDomain(d) {
			v.Add("allowed_domains", fmt.Sprintf("%q is not a domain name such as example.com, nor an address.", d))
			continue
		}
		next.AllowedDomains = append(next.AllowedDomains, d)
	}
	var logoType string
	if in.Logo != nil {
		var msg string
		if logoType, msg = CheckLogo(in.Logo); msg != "" {
			v.Add("logo", msg)
		}
	}
	if len(v.Fields) > 0 {
		return nil, v
	}
	err := db.inTx(ctx, func(tx bun.Tx) error {
		prev, err := loadSite(ctx, tx)
		if err != nil {
			return err
		}
		next.LogoHash = prev.LogoHash
		now := db.Now()
		if in.RemoveLogo {
			next.LogoHash = ""
		}
		if in.Logo != nil {
			sum := sha256.Sum256(in.Logo)
			next.LogoHash = hex.EncodeToString(sum[:])
			if _, err := tx.NewRaw("INSERT INTO logos (hash, content_type, data, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING",
				next.LogoHash, logoType, in.Logo, now).Exec(ctx); err != nil {
				return fmt.Errorf("store logo: %w", err)
			}
		}
		var changed []string
		for _, kv := range []struct{ key, label, was, is string }{
			{settingName, "name", prev.Name, next.Name},
			{settingWelcome, "welcome", prev.Welcome, next.Welcome},
			{settingAccent, "accent colour", prev.Accent, next.Accent},
			{settingApproval, "approval", prev.Approval, next.Approval},
			{settingPrivate, "private", onOff(prev.Private), onOff(next.Private)},
			{settingAllowedDomains, "allowed domains", joinComma(prev.AllowedDomains), joinComma(next.AllowedDomains)},
			{settingLogo, "logo", prev.LogoHash, next.LogoHash},
		} {
			if kv.was == kv.is {
				continue
			}
			if err := putSetting(ctx, tx, kv.key, kv.is); err != nil {
				return err
			}
			if kv.key == settingLogo || kv.key == settingWelcome {
				changed = append(changed, kv.label+" changed")
			} else {
				changed = append(changed, fmt.Sprintf("%s %q → %q", kv.label, kv.was, kv.is))
			}
		}
		if len(changed) == 0 {
			return nil
		}
		return recordAudit(ctx, tx, now, EventSettingsChanged, admin.ID, "Site settings", strings.Join(changed, "; "))
	})
	if err != nil {
		return nil, fmt.Errorf("save settings: %w", err)
	}
	return next, nil
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func validDomain(d string) bool {
	if len(d) < 3 || len(d) > 253 || !strings.Contains(d, ".") || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
		return false
	}
	for _, r := range d {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return !strings.Contains(d, "..")
}
