// Package templates holds the HTML templates of the dashboard's pages,
// embedded so that the binary serves them without the source tree.
package templates

import "embed"

// Files are the page templates. layout.html wraps every page.
//
//go:embed *.html
var Files embed.FS
