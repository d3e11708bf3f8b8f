// Package views embeds the html/template files: layouts/, partials/, pages/
// and emails/.
package views

import "embed"

// FS holds every template.
//
//go:embed layouts partials pages emails
var FS embed.FS
