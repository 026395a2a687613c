package main

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// layersModule is the module path the layer rules are written against.
const layersModule = "github.com/monoco/courier/"

// TestLayers keeps the dependency direction of STYLE.md honest: nothing imports cmd; delivery never
// imports an adapter (it receives senders); drafts never imports an adapter (it receives checks);
// hooks knows only git and templates, and is the one package that reads git (go-git); the mailbox
// protocol knows only the standard library and YAML; config reads the file with the adapters'
// descriptors it is handed, never wiring a provider itself.
//
// It reads the import blocks of the module's non-test Go files (go/parser, ImportsOnly) rather than
// running `go list`: the same imports in milliseconds. A file's build constraints are not evaluated,
// so every file counts, whichever platform it is for.
func TestLayers(t *testing.T) {
	t.Parallel()
	problems, seen, err := checkLayers(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	if seen < len(layersAllowed)+7 {
		t.Errorf("checked %d packages, want every layer and the 8 adapters: did the layout change?", seen)
	}
}

// TestLayersCatchesForbiddenImports runs the layer check over a fake module tree that breaks each
// rule once, so that TestLayers cannot pass by reading nothing.
func TestLayersCatchesForbiddenImports(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	files := map[string]string{
		"go.mod": "module github.com/monoco/courier\n",
		// Allowed: each line of STYLE.md's dependency direction once.
		"delivery/mailbox/mailbox.go": `package mailbox; import ("os"; "gopkg.in/yaml.v3")`,
		"drafts/drafts.go":            `package drafts; import ("github.com/monoco/courier/delivery/mailbox"; "github.com/monoco/courier/templates")`,
		"adapters/slack/slack.go":     `package slack; import ("github.com/monoco/courier/adapters"; "github.com/monoco/courier/delivery/mailbox")`,
		"hooks/hooks.go":              `package hooks; import ("github.com/go-git/go-git/v5"; "github.com/monoco/courier/templates")`,
		"cmd/courier/main.go":         `package main; import "github.com/monoco/courier/adapters/slack"`,
		// Forbidden, one rule each; test files and testdata do not count.
		"delivery/delivery.go":          `package delivery; import "github.com/monoco/courier/adapters/slack"`,
		"delivery/mailbox/bad.go":       `package mailbox; import "github.com/pkg/errors"`,
		"templates/t.go":                `package templates; import "github.com/monoco/courier/cmd/courier"`,
		"guard/guard.go":                `package guard; import "github.com/go-git/go-git/v5/plumbing"`,
		"adapters/slack/slack_test.go":  `package slack; import "github.com/monoco/courier/drafts"`,
		"drafts/testdata/x/x.go":        `package x; import "github.com/monoco/courier/cmd/courier"`,
		"adapters/internal/helper/h.go": `package helper; import "github.com/monoco/courier/drafts"`,
	}
	for name, content := range files {
		writeFile(t, filepath.Join(root, filepath.FromSlash(name)), content)
	}
	problems, seen, err := checkLayers(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"delivery imports adapters/slack (allowed: [delivery/mailbox])",
		"delivery/mailbox imports third-party github.com/pkg/errors (allowed: [gopkg.in/yaml.v3])",
		"guard imports github.com/go-git/go-git/v5/plumbing: git is read through hooks.Repo only",
		"guard imports third-party github.com/go-git/go-git/v5/plumbing (allowed: [mvdan.cc/sh/v3/syntax gopkg.in/yaml.v3])",
		"templates imports cmd/courier",
		"templates imports cmd/courier (allowed: [])",
	}
	if strings.Join(problems, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(problems, "\n"), strings.Join(want, "\n"))
	}
	// delivery/mailbox, drafts, adapters/slack, hooks, delivery, templates, guard
	if seen != 7 {
		t.Errorf("checked %d packages, want 7", seen)
	}
}

// layersAllowed[p] lists the module packages p may import; a missing entry means no rule (cmd, the
// adapters' internal packages). Every adapters/<name> has its own rule in checkLayers.
var layersAllowed = map[string][]string{
	"delivery/mailbox":  {},
	"templates":         {},
	"adapters":          {"delivery/mailbox"},
	"hooks":             {"gitdir", "templates"},
	"internal/testfs":   {}, // tests only
	"gitdir":            {},
	"drafts":            {"delivery/mailbox", "drafts/pattern", "templates"},
	"drafts/pattern":    {},
	"delivery":          {"delivery/mailbox"},
	"guard":             {"config/configfile", "drafts/pattern", "gitdir"},
	"config/configfile": {},
	// The lean binary the agents' hooks run: the guard only (TestCourierGuardLinksNoHeavyPackage).
	"cmd/courier-guard": {"guard"},
	"demo":              {"delivery/mailbox", "templates"},
	"config":            {"adapters", "adapters/file", "config/configfile", "delivery", "delivery/mailbox", "drafts", "guard", "templates"},
	"central":           {"hooks", "drafts", "delivery/mailbox"},
}

// layersThirdParty lists the module-external imports allowed beyond the standard library, for the
// packages held to that.
var layersThirdParty = map[string][]string{
	"delivery/mailbox":  {"gopkg.in/yaml.v3"},
	"templates":         {},
	"guard":             {"mvdan.cc/sh/v3/syntax", "gopkg.in/yaml.v3"},
	"drafts/pattern":    {},
	"config/configfile": {},
	"gitdir":            {},
	"internal/testfs":   {},
	"cmd/courier-guard": {},
}

// checkLayers checks the imports of every package of the module rooted at root against the layer
// rules. It returns the problems (sorted), how many packages had a rule, and an error when the tree
// cannot be read or a file's imports cannot be parsed.
func checkLayers(root string) (problems []string, seen int, err error) {
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil, 0, err
	}
	if first, _, _ := strings.Cut(string(gomod), "\n"); strings.TrimSpace(first) != "module "+strings.TrimSuffix(layersModule, "/") {
		return nil, 0, fmt.Errorf("%s: %q is not module %s", filepath.Join(root, "go.mod"), first, layersModule)
	}
	imports := map[string]map[string]bool{} // package (module-relative directory) → its imports
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			// What the go command ignores: testdata, vendor, and names starting with . or _.
			if p != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") ||
			strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		if imports[pkg] == nil {
			imports[pkg] = map[string]bool{}
		}
		for _, spec := range f.Imports {
			path, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return fmt.Errorf("%s: import %s: %w", p, spec.Path.Value, err)
			}
			imports[pkg][path] = true
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	mod := layersModule
	for name, imps := range imports {
		rule, ok := layersAllowed[name]
		if strings.HasPrefix(name, "adapters/") && !strings.Contains(name, "/internal") {
			rule, ok = []string{"adapters", "delivery/mailbox"}, true
		}
		for imp := range imps {
			if imp == mod+"cmd/courier" {
				problems = append(problems, fmt.Sprintf("%s imports cmd/courier", name))
			}
			if strings.HasPrefix(imp, "github.com/go-git/") && name != "hooks" {
				problems = append(problems, fmt.Sprintf("%s imports %s: git is read through hooks.Repo only", name, imp))
			}
			if !ok {
				continue
			}
			if strings.HasPrefix(imp, mod) {
				if !contains(rule, strings.TrimPrefix(imp, mod)) {
					problems = append(problems, fmt.Sprintf("%s imports %s (allowed: %v)", name, strings.TrimPrefix(imp, mod), rule))
				}
			} else if tp, strict := layersThirdParty[name]; strict && strings.Contains(strings.Split(imp, "/")[0], ".") && !contains(tp, imp) {
				problems = append(problems, fmt.Sprintf("%s imports third-party %s (allowed: %v)", name, imp, tp))
			}
		}
		if ok {
			seen++
		}
	}
	sort.Strings(problems)
	return problems, seen, nil
}
