package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// TestLayers keeps the dependency direction of STYLE.md honest: nothing imports cmd; delivery never
// imports an adapter (it receives senders); drafts never imports an adapter (it receives checks);
// hooks knows only git and templates, and is the one package that reads git (go-git); the mailbox
// protocol knows only the standard library and YAML; config reads the file with the adapters'
// descriptors it is handed, never wiring a provider itself.
func TestLayers(t *testing.T) {
	const mod = "github.com/monoco/courier/"
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports", "../../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	type pkg struct {
		ImportPath string
		Imports    []string
	}
	// allowed[p] lists the module packages p may import; a missing entry means only third-party/stdlib.
	allowed := map[string][]string{
		"delivery/mailbox": {},
		"templates":        {},
		"adapters":         {"delivery/mailbox"},
		"hooks":            {"templates"},
		"drafts":           {"delivery/mailbox", "templates"},
		"delivery":         {"delivery/mailbox"},
		"guard":            {},
		"demo":             {"templates"},
		"config":           {"adapters", "adapters/file", "delivery", "delivery/mailbox", "drafts", "guard", "templates"},
		"central":          {"hooks", "drafts", "delivery/mailbox"},
	}
	thirdParty := map[string][]string{ // module-external imports allowed beyond the standard library
		"delivery/mailbox": {"gopkg.in/yaml.v3"},
		"templates":        {},
		"guard":            {"mvdan.cc/sh/v3/syntax"},
	}
	seen := 0
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(p.ImportPath, mod)
		rule, ok := allowed[name]
		if strings.HasPrefix(name, "adapters/") && !strings.Contains(name, "/internal") {
			rule, ok = []string{"adapters", "delivery/mailbox"}, true
		}
		for _, imp := range p.Imports {
			if imp == mod+"cmd/courier" {
				t.Errorf("%s imports cmd/courier", name)
			}
			if strings.HasPrefix(imp, "github.com/go-git/") && name != "hooks" {
				t.Errorf("%s imports %s: git is read through hooks.Repo only", name, imp)
			}
			if !ok {
				continue
			}
			if strings.HasPrefix(imp, mod) {
				if !contains(rule, strings.TrimPrefix(imp, mod)) {
					t.Errorf("%s imports %s (allowed: %v)", name, strings.TrimPrefix(imp, mod), rule)
				}
			} else if tp, strict := thirdParty[name]; strict && strings.Contains(strings.Split(imp, "/")[0], ".") && !contains(tp, imp) {
				t.Errorf("%s imports third-party %s (allowed: %v)", name, imp, tp)
			}
		}
		if ok {
			seen++
		}
	}
	if seen < len(allowed)+7 {
		t.Errorf("checked %d packages, want every layer and the 8 adapters: did the layout change?", seen)
	}
}
