package drafts

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/monoco/courier/templates"
)

// Errors of [New] that are the caller's mistake.
var (
	ErrUnknownTemplate = errors.New("unknown draft template")
	ErrDraftName       = errors.New("no slashes, must not start with . or _")
)

// NewDraft is what [New] writes.
type NewDraft struct {
	Template string    // one of [Templates]
	Name     string    // file name, ".md" optional; "" is <template>-<UTC time>
	Provider string    // "" is file (email for the email template)
	To       string    // "" is local (someone@example.com for the email template)
	Now      time.Time // names an unnamed draft
}

// Templates lists the embedded draft templates by name, sorted.
func Templates() []string {
	ents, _ := fs.ReadDir(templates.FS, "drafts")
	var out []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".md") {
			out = append(out, strings.TrimSuffix(e.Name(), ".md"))
		}
	}
	sort.Strings(out)
	return out
}

// New writes a draft from its template into it's drafts directory under repoTop (created if
// needed), never over an existing file. It returns the draft's slash path relative to repoTop and the
// provider the draft names.
func New(repoTop string, it Item, d NewDraft) (rel, provider string, err error) {
	data, err := templates.FS.ReadFile(path.Join("drafts", d.Template+".md"))
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", d.Template, ErrUnknownTemplate)
	}
	name := d.Name
	if name == "" {
		name = d.Template + "-" + d.Now.UTC().Format("20060102T150405")
	}
	name = strings.TrimSuffix(name, ".md")
	if strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
		return "", "", fmt.Errorf("draft name %q: %w", name, ErrDraftName)
	}
	provider, to := or(d.Provider, "file"), or(d.To, "local")
	if d.Template == "email" {
		provider, to = or(d.Provider, "email"), or(d.To, "someone@example.com")
	}
	text := strings.NewReplacer("{{provider}}", provider, "{{to}}", yamlScalar(to)).Replace(string(data))
	rel = path.Join(it.Dir, name+".md")
	if err := writeNew(filepath.Join(repoTop, filepath.FromSlash(rel)), text); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return "", "", fmt.Errorf("%s already exists", rel)
		}
		return "", "", err
	}
	return rel, provider, nil
}

// writeNew creates the file at p (and its directory) with text; it fails if p exists.
func writeNew(p, text string) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func or(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// yamlScalar quotes s when YAML would not read it back as the same plain string.
func yamlScalar(s string) string {
	if s == "" || strings.ContainsAny(s, ":#{}[],&*!|>'\"%@`") || strings.TrimSpace(s) != s {
		return fmt.Sprintf("%q", s)
	}
	return s
}
