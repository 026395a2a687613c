// Package templates holds courier's embedded assets: git hook scripts, draft templates, the commented
// configuration written by `courier init`, and service units for `courier watch`.
package templates

import "embed"

// FS is every embedded asset, under hooks/, drafts/, service/ and config/.
//
//go:embed hooks drafts service config
var FS embed.FS
