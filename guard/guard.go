// Package guard keeps coding agents' tools away from what only courier may write: the mailbox, courier's
// private state, the active git hooks directory and courier's configuration file. It answers one agent
// tool-call event at a time (a file write or edit, or a shell command, which it parses with a real shell
// parser) and either denies it, with a reason that says what to do instead, or has no objection. It never
// grants anything: the agent's own permission rules still apply after a "no objection".
//
// It also installs itself as a Claude Code PreToolUse hook ([ClaudeInstall], [ClaudeUninstall],
// [ClaudeStatus]); see
// docs/agents.md for the hook protocols it follows and where they are documented.
//
// The package does no work at init: no package-level regular expressions or tables, so that a
// `courier guard check` process pays only for what the event needs.
package guard

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Kind names one kind of protected place; the values are those of the `guard.protect` configuration.
type Kind string

// The kinds of protected places.
const (
	KindMailbox Kind = "mailbox" // the mailbox (outbound, archive, dead letters, inbound, .state, .tmp)
	KindState   Kind = "state"   // courier's private state: <git common dir>/courier, <mailbox>/.state
	KindHooks   Kind = "hooks"   // the hooks directory git runs (core.hooksPath honoured)
	KindConfig  Kind = "config"  // courier's configuration file
)

// AllKinds lists every kind, in the order they are reported.
func AllKinds() []Kind { return []Kind{KindMailbox, KindState, KindHooks, KindConfig} }

// Layout says where the protected places are. Paths are absolute; an empty path is not protected.
type Layout struct {
	Root       string // main worktree root: "the repository" in reasons
	Mailbox    string // the mailbox directory
	CommonDir  string // git common dir; its courier/ directory is courier's private state
	HooksDir   string // the hooks directory git runs
	ConfigFile string // courier's configuration file
	// Protect lists the kinds to protect; nil protects every kind.
	Protect []Kind
	// DraftsDir is the current work item's drafts directory relative to Root ("" when the branch names
	// no work item); reasons point the agent there.
	DraftsDir string
	// Getenv reads the environment for variables a shell command uses without setting ($HOME, $TMPDIR).
	// Nil: no variable is known.
	Getenv func(string) string
}

// place is one protected directory or file.
type place struct {
	kind Kind
	path string   // absolute, clean, as configured
	real string   // path with symlinks resolved (== path when nothing resolves)
	file bool     // a single file (the configuration), not a directory
	rel  []string // path relative to Root when inside it, else its absolute components
}

// Guard decides on tool calls. It is immutable once built and safe for concurrent use.
type Guard struct {
	root      string
	places    []place
	draftsDir string
	commonDir string
	hooksDir  string
	getenv    func(string) string
}

// Decision is the guard's answer: Deny with a Reason, or no objection (Deny false, Reason empty).
type Decision struct {
	Deny   bool
	Reason string
}

// New builds a guard for l. An unknown kind in l.Protect is an error.
func New(l Layout) (*Guard, error) {
	kinds := l.Protect
	if kinds == nil {
		kinds = AllKinds()
	}
	on := map[Kind]bool{}
	for _, k := range kinds {
		switch k {
		case KindMailbox, KindState, KindHooks, KindConfig:
			on[k] = true
		default:
			return nil, fmt.Errorf("guard.protect: unknown %q (known: mailbox, state, hooks, config)", k)
		}
	}
	g := &Guard{root: clean(l.Root), draftsDir: strings.Trim(filepath.ToSlash(l.DraftsDir), "/"), getenv: l.Getenv,
		commonDir: clean(l.CommonDir), hooksDir: clean(l.HooksDir)}
	if g.getenv == nil {
		g.getenv = func(string) string { return "" }
	}
	add := func(k Kind, p string, file bool) {
		if !on[k] || p == "" {
			return
		}
		p = clean(p)
		pl := place{kind: k, path: p, real: resolve(p), file: file}
		pl.rel = splitPath(p)
		if r, ok := within(p, g.root); ok && g.root != "" && r != "." {
			pl.rel = strings.Split(r, "/")
		}
		g.places = append(g.places, pl)
	}
	add(KindMailbox, l.Mailbox, false)
	if l.CommonDir != "" {
		add(KindState, filepath.Join(l.CommonDir, "courier"), false)
	}
	if l.Mailbox != "" {
		add(KindState, filepath.Join(l.Mailbox, ".state"), false)
	}
	add(KindHooks, l.HooksDir, false)
	if l.CommonDir != "" {
		// The repository's git config picks the hooks directory (core.hooksPath): editing it is the
		// same bypass as `git -c core.hooksPath=…`. `git config` itself stays usable for other keys.
		add(KindHooks, filepath.Join(l.CommonDir, "config"), true)
	}
	add(KindConfig, l.ConfigFile, true)
	return g, nil
}

// Protected lists the protected places as "kind: path" lines (for `courier guard status`).
func (g *Guard) Protected() []string {
	out := make([]string, 0, len(g.places))
	for _, p := range g.places {
		out = append(out, fmt.Sprintf("%s: %s", p.kind, p.path))
	}
	return out
}

// CheckPath decides on one path, relative paths resolving against cwd. write false asks about reading,
// which is never denied; write true asks about writing, editing or removing the path.
func (g *Guard) CheckPath(p, cwd string, write bool) Decision {
	if !write {
		return Decision{}
	}
	t := g.target(literalPattern(p), cwd, modeWrite|modeRemove)
	if pl := g.hit(t); pl != nil {
		return g.deny(pl, displayPath(p))
	}
	return Decision{}
}

// deny is the decision for a write to a protected place; what names the path or command.
func (g *Guard) deny(pl *place, what string) Decision {
	if pl.kind == KindHooks && pl.file {
		return Decision{Deny: true, Reason: fmt.Sprintf("courier guard: %s is the git configuration that decides "+
			"which hooks run. Change other settings with `git config NAME VALUE`; leave core.hooksPath to the user.", what)}
	}
	return Decision{Deny: true, Reason: g.reason(pl.kind, what)}
}

// draftAdvice tells where a message goes instead.
func (g *Guard) draftAdvice() string {
	if g.draftsDir != "" {
		return fmt.Sprintf("write a draft in `%s/` and commit it; courier validates and delivers it.", g.draftsDir)
	}
	return "write a draft in your work item's drafts directory (`Issues/<Kind>/work/<ITEM>/drafts/`, on the " +
		"item's branch) and commit it; courier validates and delivers it."
}

// reason is the deny text for writing to a place of kind k.
func (g *Guard) reason(k Kind, what string) string {
	switch k {
	case KindMailbox:
		return fmt.Sprintf("courier guard: %s is in the mailbox, which only courier writes. To send a message, %s", what, g.draftAdvice())
	case KindState:
		return fmt.Sprintf("courier guard: %s is courier's private state (seal key, ledger), which only courier writes. "+
			"To send a message, %s", what, g.draftAdvice())
	case KindHooks:
		return fmt.Sprintf("courier guard: %s is in the git hooks directory, where courier checks every commit. "+
			"Leave the hooks alone: fix what the hook reports (`courier validate` shows it) and commit again.", what)
	default:
		return fmt.Sprintf("courier guard: %s is courier's configuration, which people maintain. "+
			"Ask the user to change it; to send a message, %s", what, g.draftAdvice())
	}
}

func displayPath(p string) string { return "`" + p + "`" }

// Config is the `guard:` section of courier's configuration file.
type Config struct {
	// Protect lists the kinds of places to protect (mailbox, state, hooks, config); absent: all of them.
	Protect []Kind `yaml:"protect"`
}
