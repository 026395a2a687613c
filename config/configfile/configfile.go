// Package configfile is the lean part of reading courier's configuration (README.md,
// "Configuration"): which file is read and how ${VAR} expands. It uses the standard library only, so
// that `courier-guard` finds courier's configuration without linking the providers.
package configfile

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"sync"
)

// File picks the configuration file: --config (flag), then $COURIER_CONFIG, then
// <main worktree>/.monoco/courier.yaml; relative names resolve against cwd. explicit is true when the
// user named it (it must exist).
func File(flag string, getenv func(string) string, root, cwd string) (path string, explicit bool) {
	switch {
	case flag != "":
		return absFrom(cwd, flag), true
	case getenv("COURIER_CONFIG") != "":
		return absFrom(cwd, getenv("COURIER_CONFIG")), true
	}
	return filepath.Join(root, ".monoco", "courier.yaml"), false
}

// Named is how an error names the file the user chose: "--config FLAG" or "$COURIER_CONFIG VALUE".
func Named(flag string, getenv func(string) string) string {
	if flag != "" {
		return "--config " + flag
	}
	return "$COURIER_CONFIG " + getenv("COURIER_CONFIG")
}

// varRe is compiled on first use, not at package init: `courier-guard` starts for every tool call of
// an agent.
var varRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`) })

func absFrom(base, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(base, p)
}

// ExpandEnv replaces ${VAR} with its value; each unset variable is an error naming it (never a
// value), one line each.
func ExpandEnv(s string, getenv func(string) string) (string, error) {
	var missing []error
	out := varRe().ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		v := getenv(name)
		if v == "" {
			missing = append(missing, fmt.Errorf("environment variable %s is not set", name))
		}
		return v
	})
	if len(missing) > 0 {
		return "", errors.Join(missing...)
	}
	return out, nil
}
