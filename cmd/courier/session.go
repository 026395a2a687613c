package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/monoco/courier/delivery/mailbox"
	"github.com/monoco/courier/drafts"
)

// session is what validating and delivering drafts need: the workspace, the branch's work item and a
// validator built once from the configuration.
type session struct {
	ws        *workspace
	dir       string // where relative draft paths start (the working directory after -C)
	patterns  []drafts.Pattern
	validator *drafts.Validator
	branch    string
	commit    string
	item      drafts.Item
	hasItem   bool
}

// session opens the repository, reads the branch and builds the validator. itemFlag overrides the
// branch's work item.
func (a *app) session(itemFlag string) (*session, error) {
	ws, err := a.workspace(true)
	if err != nil {
		return nil, err
	}
	s, err := newSession(ws, itemFlag)
	if err != nil {
		return nil, err
	}
	s.dir = a.dir
	return s, nil
}

// newSession reads the branch and builds the validator for a workspace inside a repository.
func newSession(ws *workspace, itemFlag string) (*session, error) {
	var err error
	s := &session{ws: ws, patterns: ws.cfg.patterns()}
	s.branch, s.commit, err = ws.repo.Head()
	if err != nil {
		return nil, err
	}
	if itemFlag != "" {
		if s.item, s.hasItem = drafts.ItemForBranch(itemFlag, s.patterns); !s.hasItem {
			return nil, usageErrorf("--item %s: not a work item id (want e.g. FEAT-0172)", itemFlag)
		}
	} else {
		s.item, s.hasItem = drafts.ItemForBranch(s.branch, s.patterns)
	}
	s.validator, err = drafts.NewValidator(draftsConfig(ws.cfg))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// inputs loads explicit paths, or the work item's drafts when none are given. A path that cannot be
// a draft (symlink, outside the repository) comes back as a validation error. On a branch that is not
// a work item's, with no paths, there is nothing to look at: it says so on stderr and returns nothing.
func (s *session) inputs(paths []string, stderr io.Writer) ([]drafts.Input, []*drafts.ValidationError, error) {
	if len(paths) == 0 {
		if !s.hasItem {
			fmt.Fprintf(stderr, "courier: branch %q is not a work-item branch (e.g. FEAT-0172-slug): no drafts to look at; name drafts explicitly or use --item\n", s.branch)
			return nil, nil, nil
		}
		found, err := drafts.Find(s.ws.repo.Top, s.item)
		if err != nil {
			return nil, nil, err
		}
		paths = found
		for i := range paths {
			paths[i] = absFrom(s.ws.repo.Top, paths[i])
		}
	}
	var inputs []drafts.Input
	var invalid []*drafts.ValidationError
	for _, p := range paths {
		in, err := drafts.LoadInput(s.ws.repo.Top, s.dir, p)
		if err != nil {
			var ve *drafts.ValidationError
			if errors.As(err, &ve) {
				invalid = append(invalid, ve)
				continue
			}
			return nil, nil, err
		}
		inputs = append(inputs, in)
	}
	return inputs, invalid, nil
}

// draftsConfig is what the drafts package needs to know of the configuration: the patterns, the
// configured providers with their channel aliases, and each adapter's pre-enqueue check.
func draftsConfig(c *Config) drafts.Config {
	dc := drafts.Config{Patterns: c.patterns(), Providers: map[string]drafts.ProviderInfo{},
		Checks: map[string]func(*mailbox.Message) error{}}
	for _, k := range registry() {
		dc.Checks[k.name] = k.check
		if sec := k.section(c); sec != nil {
			dc.Providers[k.name] = drafts.ProviderInfo{Channels: k.channels(sec), Fanout: k.fanout}
		}
	}
	return dc
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %s", n, strings.TrimSuffix(word, "s")+"s")
}
