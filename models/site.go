package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"strconv"
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

// Logo is an uploaded logo.
type Logo struct {
	ContentType string
	Data        []byte
}

// LogoByHash reads the logo stored under hash.
func LogoByHash(ctx context.Context, db *DB, hash string) (*Logo, error) {
	l := new(Logo)
	err := db.bun.NewSelect().Table("logos").Column("content_type", "data").Where("hash = ?", hash).
		Scan(ctx, &l.ContentType, &l.Data)
	if err != nil {
		return nil, fmt.Errorf("logo %s: %w", hash, mapErr(err))
	}
	return l, nil
}

// CheckLogo names the type of an uploaded logo from its bytes, or says why
// it is refused. SVG may carry script, so it is accepted only when it has
// none; it is also served under a policy that runs none.
func CheckLogo(b []byte) (contentType, refusal string) {
	if len(b) == 0 {
		return "", "The file is empty."
	}
	if len(b) > LogoMaxBytes {
		return "", fmt.Sprintf("The logo must be %d KB or smaller.", LogoMaxBytes/1024)
	}
	switch t := http.DetectContentType(b); {
	case t == "image/png" || t == "image/jpeg":
		return t, ""
	case strings.HasPrefix(t, "text/xml") || strings.HasPrefix(t, "text/plain") || strings.HasPrefix(t, "image/svg"):
		s := strings.ToLower(string(b))
		if !strings.Contains(s, "<svg") {
			break
		}
		for _, bad := range []string{"<script", "javascript:", "<foreignobject", "<iframe", "<embed", "<object", "href=\"http", "href='http", "<!entity"} {
			if strings.Contains(s, bad) {
				return "", "The SVG holds script or outside content (" + strings.TrimPrefix(bad, "<") + "). Upload a plain SVG, or a PNG."
			}
		}
		if svgHasHandler(s) {
			return "", "The SVG runs script (an on… attribute). Upload it without, or as a PNG."
		}
		return "image/svg+xml", ""
	}
	return "", "Upload a PNG, JPEG or SVG image."
}

// svgHasHandler finds an event handler attribute such as onload=.
func svgHasHandler(s string) bool {
	for i := 0; i+3 < len(s); i++ {
		if (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r' || s[i] == '/') && s[i+1] == 'o' && s[i+2] == 'n' {
			j := i + 3
			for j < len(s) && s[j] >= 'a' && s[j] <= 'z' {
				j++
			}
			for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n') {
				j++
			}
			if j > i+3 && j < len(s) && s[j] == '=' {
				return true
			}
		}
	}
	return false
}

// The surfaces the accent colour is read on, light mode and dark mode.
var (
	lightSurfaces = []string{"#ffffff", "#f7f7fb", "#f1f1f7"}
	darkSurfaces  = []string{"#171821", "#0f1016", "#1f2130"}
)

// MinContrast is WCAG AA for text.
const MinContrast = 4.5

// CheckAccent normalises an accent colour and says why it is refused: it
// must be #rrggbb (or #rgb), and links in it must read on every light
// surface, as must white text on it. Dark mode uses DarkAccent, readable
// by construction.
func CheckAccent(s string) (string, string) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) == 4 && s[0] == '#' {
		s = "#" + string([]byte{s[1], s[1], s[2], s[2], s[3], s[3]})
	}
	if _, ok := parseHex(s); !ok {
		return s, "Give the colour as #rrggbb, for example #4f46e5."
	}
	worst := math.Inf(1)
	for _, bg := range lightSurfaces {
		worst = math.Min(worst, Contrast(s, bg))
	}
	if worst < MinContrast {
		return s, fmt.Sprintf("%s is too light: links in it, and white text on it, would have a contrast of %.1f:1, below the %.1f:1 people need to read them. Choose a darker shade.", s, worst, MinContrast)
	}
	return s, ""
}

// DarkAccent is the accent for dark mode: the colour lightened until it
// reads on every dark surface, and dark text reads on it.
func DarkAccent(s string) string {
	rgb, ok := parseHex(s)
	if !ok {
		return s
	}
	for step := 0; step <= 20; step++ {
		t := float64(step) / 20
		c := fmt.Sprintf("#%02x%02x%02x", mix(rgb[0], t), mix(rgb[1], t), mix(rgb[2], t))
		good := true
		for _, bg := range darkSurfaces {
			good = good && Contrast(c, bg) >= MinContrast
		}
		if good {
			return c
		}
	}
	return "#ffffff"
}

func mix(v uint8, t float64) uint8 { return uint8(math.Round(float64(v) + (255-float64(v))*t)) }

func parseHex(s string) ([3]uint8, bool) {
	var out [3]uint8
	if len(s) != 7 || s[0] != '#' {
		return out, false
	}
	for i := 0; i < 3; i++ {
		v, err := strconv.ParseUint(s[1+2*i:3+2*i], 16, 8)
		if err != nil {
			return out, false
		}
		out[i] = uint8(v)
	}
	return out, true
}

// Contrast is the WCAG contrast ratio of two #rrggbb colours.
func Contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(s string) float64 {
	rgb, _ := parseHex(s)
	var l [3]float64
	for i, v := range rgb {
		c := float64(v) / 255
		if c <= 0.03928 {
			l[i] = c / 12.92
		} else {
			l[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}
