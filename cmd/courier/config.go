package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/monoco/courier/config"
)

// loadConfig reads the configuration with the providers of the registry; its errors exit 78.
func loadConfig(path string, explicit bool, root string, getenv func(string) string) (*config.Config, error) {
	cfg, err := config.Load(path, explicit, root, getenv, registry())
	if err != nil {
		return nil, configErrorf("%v", err)
	}
	return cfg, nil
}

func absFrom(base, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(base, p)
}

func relPath(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return p
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// contains reports whether list holds s.
func contains(list []string, s string) bool { return slices.Contains(list, s) }
