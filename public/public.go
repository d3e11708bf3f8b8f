// Package public embeds the stylesheets, scripts and images served under
// /static/ with content-hash names.
package public

import "embed"

// FS holds every asset.
//
//go:embed *.css *.js *.svg
var FS embed.FS
