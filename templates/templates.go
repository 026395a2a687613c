// Package templates holds courier's embedded assets: git hook scripts, draft templates, the commented
// configuration written by `courier init`, service units for `courier watch`, and the draft `courier demo`
// commits.
package templates

import "embed"

// FS is every embedded asset, under hooks/, drafts/, service/, config/ and demo/.
//
//go:embed hooks drafts service config demo
var FS embed.FS
