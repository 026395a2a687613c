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
// RepoDir/.monoco/courier-watch.log; values are escaped as systemd or plist XML need (see
// service/README.md).
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
	esc, arg := systemdSpecifiers.Replace, systemdArg.Replace
	if kind == "launchd" {
		esc = func(s string) string {
			var b strings.Builder
			_ = xml.EscapeText(&b, []byte(s))
			return b.String()
		}
		arg = esc
	}
	var args strings.Builder // after `watch`: ` "a" "b"` (systemd) or one <string> line each (launchd)
	for _, a := range s.Args {
		if kind == "launchd" {
			args.WriteString("\n    <string>" + esc(a) + "</string>")
		} else {
			args.WriteString(` "` + arg(a) + `"`)
		}
	}
	return tpl.Execute(w, map[string]string{
		"Binary": arg(s.Binary), "RepoArg": arg(s.RepoDir), "RepoDir": esc(s.RepoDir), "Args": args.String(),
		"LogPath": esc(filepath.Join(s.RepoDir, ".monoco", "courier-watch.log")), "Label": label(s.RepoDir),
	})
}

// systemd.unit(5), "Specifiers": a literal % is %%. systemd.service(5), "Command lines": inside a
// double-quoted argument \ and \" are C escapes, and a literal $ is $$.
var (
	systemdSpecifiers = strings.NewReplacer("%", "%%")
	systemdArg        = strings.NewReplacer("%", "%%", `\`, `\\`, `"`, `\"`, "$", "$$")
)

// label is the launchd label of a repository: reverse DNS plus its directory name.
func label(repoDir string) string {
	return "dev.monoco.courier." + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, filepath.Base(repoDir))
}
