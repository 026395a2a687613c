package configfile

import (
	"path/filepath"
	"testing"
)

func TestFileAndExpandEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{"A": "x"}
	getenv := func(k string) string { return env[k] }
	if p, explicit := File("", getenv, "/repo", "/cwd"); p != filepath.Join("/repo", ".monoco", "courier.yaml") || explicit {
		t.Errorf("default: %q %v", p, explicit)
	}
	if p, explicit := File("c.yaml", getenv, "/repo", "/cwd"); p != "/cwd/c.yaml" || !explicit || Named("c.yaml", getenv) != "--config c.yaml" {
		t.Errorf("flag: %q %v", p, explicit)
	}
	env["COURIER_CONFIG"] = "/etc/c.yaml"
	if p, explicit := File("", getenv, "/repo", "/cwd"); p != "/etc/c.yaml" || !explicit || Named("", getenv) != "$COURIER_CONFIG /etc/c.yaml" {
		t.Errorf("$COURIER_CONFIG: %q %v", p, explicit)
	}
	if s, err := ExpandEnv("${A}/b/$A/${A}", getenv); s != "x/b/$A/x" || err != nil {
		t.Errorf("ExpandEnv = %q, %v", s, err)
	}
	if _, err := ExpandEnv("${NO}${NOT}", getenv); err == nil || err.Error() != "environment variable NO is not set\nenvironment variable NOT is not set" {
		t.Errorf("unset: %v", err)
	}
}
