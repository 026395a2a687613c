package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestFetchEvery(t *testing.T) {
	c := Default()
	c.Remote.FetchInterval.Duration = time.Minute
	tests := []struct {
		name string
		flag time.Duration
		set  bool
		want time.Duration
	}{
		{name: "configured", want: time.Minute},
		{name: "flag wins", flag: time.Second, set: true, want: time.Second},
		{name: "zero flag: default", set: true, want: DefaultFetchInterval},
	}
	for _, tt := range tests {
		if got := c.FetchEvery(tt.flag, tt.set); got != tt.want {
			t.Errorf("%s: FetchEvery = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestSetsMailbox(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"set.yaml": "mailbox: /srv/box\n", "unset.yaml": "watch: {}\n", "empty.yaml": "mailbox: \"\"\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		c := &Config{path: filepath.Join(dir, name)}
		if got, want := c.SetsMailbox(), name == "set.yaml"; got != want {
			t.Errorf("%s: SetsMailbox = %v, want %v", name, got, want)
		}
	}
	if (&Config{}).SetsMailbox() {
		t.Error("defaults only: SetsMailbox = true")
	}
}
