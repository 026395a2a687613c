package templates

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/template"
)

// ErrUnknownService is returned by [Render] for a service kind other than systemd or launchd.
var ErrUnknownService = errors.New("unknown service kind (want systemd or launchd)")

// Service is what a service unit runs: the courier binary, in the main worktree of one repository.
// Both are absolute paths.
type Service struct {
	Binary  string
	RepoDir string
	Args    []string // extra `courier watch` arguments (e.g. --remote origin), each quoted
}

var serviceFiles = map[string]string{"systemd": "service/courier.service", "launchd": "service/courier.plist"}

// Render writes the systemd or launchd unit (kind) for s to w. The watcher's log goes to
// RepoDir/.monoco/courier-watch.log; launchd values are XML-escaped (see service/README.md).
func Render(w io.Writer, kind string, s Service) error {
	name, ok := serviceFiles[kind]
	if !ok {
		return fmt.Errorf("%s: %w", kind, ErrUnknownService)
	}
	data, err := FS.ReadFile(name)
	if err != nil {
		return err
	}
	tpl, err := template.New(kind).Parse(string(data))
	if err != nil {
		return err
	}
	esc := func(s string) string { return s }
	if kind == "launchd" {
		esc = func(s string) string {
			var b strings.Builder
			_ = xml.EscapeText(&b, []byte(s))
			return b.String()
		}
	}
	var args strings.Builder // after `watch`: ` "a" "b"` (systemd) or one <string> line each (launchd)
	for _, a := range s.Args {
		if kind == "launchd" {
			args.WriteString("\n    <string>" + esc(a) + "</string>")
		} else {
			args.WriteString(` "` + a + `"`)
		}
	}
	return tpl.Execute(w, map[string]string{
		"Binary": esc(s.Binary), "RepoDir": esc(s.RepoDir), "Args": args.String(),
		"LogPath": esc(filepath.Join(s.RepoDir, ".monoco", "courier-watch.log")), "Label": label(s.RepoDir),
	})
}

// label is the launchd label of a repository: reverse DNS plus its directory name.
func label(repoDir string) string {
	return "dev.monoco.courier." + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, filepath.Base(repoDir))
}
