package templates

import (
	"strings"
	"testing"
)

// Extra watch arguments (central mode's --remote) reach both units, quoted or XML-escaped.
func TestServiceArgs(t *testing.T) {
	s := Service{Binary: "/bin/courier", RepoDir: "/srv/p.git", Args: []string{"--config", "/srv/a&b.yaml", "--remote", "origin"}}
	var unit, plist strings.Builder
	if err := Render(&unit, "systemd", s); err != nil {
		t.Fatal(err)
	}
	if want := `watch "--config" "/srv/a&b.yaml" "--remote" "origin"`; !strings.Contains(unit.String(), want) {
		t.Errorf("systemd unit lacks %s:\n%s", want, unit.String())
	}
	if err := Render(&plist, "launchd", s); err != nil {
		t.Fatal(err)
	}
	if want := "<string>watch</string>\n    <string>--config</string>\n    <string>/srv/a&amp;b.yaml</string>\n    <string>--remote</string>\n    <string>origin</string>"; !strings.Contains(plist.String(), want) {
		t.Errorf("plist lacks the arguments:\n%s", plist.String())
	}
}
