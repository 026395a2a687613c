package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monoco/courier/delivery/mailbox"
	"github.com/monoco/courier/drafts"
)

// TestDraftTemplatesFitEveryProvider: every template, for every provider, writes a draft that fails
// validation until its placeholders are replaced, and that its provider's own check accepts once they
// are (README.md, "Drafts"). A template a provider cannot send at all is refused by `draft new`.
func TestDraftTemplatesFitEveryProvider(t *testing.T) {
	t.Parallel()
	infos := map[string]drafts.ProviderInfo{}
	checks := map[string]func(*mailbox.Message) error{}
	for _, d := range registry() {
		infos[d.Name] = drafts.ProviderInfo{}
		checks[d.Name] = d.Check
	}
	v, err := drafts.NewValidator(drafts.Config{Providers: infos, Checks: checks})
	if err != nil {
		t.Fatal(err)
	}
	it, _ := drafts.ItemForBranch("FEAT-0001", drafts.DefaultPatterns())
	for _, tpl := range drafts.Templates() {
		for _, prov := range drafts.KnownProviders() {
			t.Run(tpl+"/"+prov, func(t *testing.T) {
				repo := t.TempDir()
				to := "ops"
				if prov == "email" {
					to = "ops@example.com"
				}
				rel, got, err := drafts.New(repo, it, drafts.NewDraft{Template: tpl, Name: "d", Provider: prov})
				if tpl == "card" && prov == "email" {
					if err == nil {
						t.Fatalf("card by email: wrote %s, want a refusal", rel)
					}
					return
				}
				if err != nil || got != prov {
					t.Fatalf("New: %q %q %v", rel, got, err)
				}
				text := read(t, filepath.Join(repo, rel))
				assertInvalid(t, v, rel, text, "to: ", drafts.PlaceholderTo)
				if !strings.Contains(text, "provider: "+prov+"\n") {
					t.Errorf("provider not filled in:\n%s", text)
				}
				filledTo := strings.Replace(text, "to: "+drafts.PlaceholderTo, "to: "+to, 1)
				assertInvalid(t, v, rel, filledTo, ": "+drafts.PlaceholderBody+" is a template placeholder")
				filled := strings.ReplaceAll(filledTo, drafts.PlaceholderBody, "Filled in")
				if _, errs := v.Parse(drafts.Input{Path: rel, Content: []byte(filled)}); len(errs) > 0 {
					t.Errorf("filled-in %s draft for %s is invalid: %v\n%s", tpl, prov, errs, filled)
				}
			})
		}
	}
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// assertInvalid checks that text is an invalid draft whose errors mention each of wants.
func assertInvalid(t *testing.T, v *drafts.Validator, rel, text string, wants ...string) {
	t.Helper()
	_, errs := v.Parse(drafts.Input{Path: rel, Content: []byte(text)})
	var all []string
	for _, e := range errs {
		all = append(all, e.Error())
	}
	joined := strings.Join(all, "\n")
	for _, w := range wants {
		if !strings.Contains(joined, w) {
			t.Errorf("errors %q do not mention %q:\n%s", joined, w, text)
		}
	}
}
