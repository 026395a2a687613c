package hooks

import (
	"os"
	"os/exec"
	"path/filepath"
)

// Binary is the courier path the hooks should record: the `courier` found on PATH when it is this very
// binary (a package manager's symlink, e.g. /usr/local/bin/courier, survives upgrades that move the
// versioned target), else this executable's own path.
func Binary() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	self, err := filepath.EvalSymlinks(exe)
	if err != nil {
		return exe, nil //nolint:nilerr // unresolvable: record the path as it is
	}
	if found, err := exec.LookPath("courier"); err == nil {
		if abs, err := filepath.Abs(found); err == nil {
			if target, err := filepath.EvalSymlinks(abs); err == nil && target == self {
				return abs, nil
			}
		}
	}
	return exe, nil
}
