package hooks_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/monoco/courier/hooks"
)

func TestBinaryPrefersTheCourierOnPath(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	t.Setenv("PATH", bin)
	if got, err := hooks.Binary(); err != nil || got != exe {
		t.Errorf("no courier on PATH: %q, %v; want %q", got, err, exe)
	}
	if err := os.WriteFile(filepath.Join(bin, "courier"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, _ := hooks.Binary(); got != exe {
		t.Errorf("another courier on PATH: %q, want this binary %q", got, exe)
	}
	link := filepath.Join(bin, "courier")
	os.Remove(link)
	if err := os.Symlink(exe, link); err != nil {
		t.Fatal(err)
	}
	if got, _ := hooks.Binary(); got != link {
		t.Errorf("a symlink to this binary on PATH: %q, want %q", got, link)
	}
}
