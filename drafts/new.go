package drafts

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
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
	To       string    // "" leaves the PlaceholderTo placeholder, which fails validation until replaced
	Now      time.Time // names an unnamed draft
}

// Templates lists the embedded draft templates by name, sorted.
func Templates() []string {
	ents, _ := fs.ReadDir(templates.FS, "drafts")
	var out []string
	for _, e := range ents {
		// card.slack.md is the card template's variant for slack, not a template of its own.
		if strings.HasSuffix(e.Name(), ".md") && strings.Count(e.Name(), ".") == 1 {
			out = append(out, strings.TrimSuffix(e.Name(), ".md"))
		}
	}
	sort.Strings(out)
	return out
}

// New writes a draft from its template into it's drafts directory under repoTop (created if
// needed), never over an existing file. It returns the draft's slash path relative to repoTop and the
// provider the draft names.
//
// The draft carries placeholders (README.md, "Drafts"): PlaceholderTo in `to` unless d.To is given,
// and PlaceholderBody in the body (and subject); validation rejects a draft until they are replaced.
// A template has a variant per provider where the provider's format needs one (card.slack.md), so
// that a filled-in draft is one its provider accepts; a template its provider cannot send at all
// (a card by email) is refused.
func New(repoTop string, it Item, d NewDraft) (rel, provider string, err error) {
	if !slices.Contains(Templates(), d.Template) {
		return "", "", fmt.Errorf("%s: %w", d.Template, ErrUnknownTemplate)
	}
	provider = or(d.Provider, "file")
	if d.Template == "email" {
		provider = or(d.Provider, "email")
	}
	if d.Template == "card" && provider == "email" {
		return "", "", fmt.Errorf("template card: provider email cannot send cards (use the email or notify template)")
	}
	data, err := templates.FS.ReadFile(path.Join("drafts", d.Template+"."+provider+".md"))
	if err != nil {
		if data, err = templates.FS.ReadFile(path.Join("drafts", d.Template+".md")); err != nil {
			return "", "", fmt.Errorf("%s: %w", d.Template, ErrUnknownTemplate)
		}
	}
	name := d.Name
	if name == "" {
		name = d.Template + "-" + d.Now.UTC().Format("20060102T150405")
	}
	name = strings.TrimSuffix(name, ".md")
	if strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
		return "", "", fmt.Errorf("draft name %q: %w", name, ErrDraftName)
	}
	to := PlaceholderTo
	if d.To != "" {
		to = yamlScalar(d.To)
	}
	text := strings.NewReplacer("{{provider}}", provider, "{{to}}", to).Replace(string(data))
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
