package models

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// The brand a portal shows: its logo, checked before it is kept, and its
// accent colour, checked to read well in light mode and derived for dark.

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
