package hooks

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/monoco/courier/templates"
)

// hookNames lists the hooks courier installs, in the order they are reported.
func hookNames() []string { return []string{"pre-commit", "post-commit", "post-rewrite"} }

const (
	// markerPrefix starts the line that marks a file as courier's hook (any version).
	markerPrefix = "# courier-hook "
	// markerVersion is the marker of the hooks this version writes and understands.
	markerVersion = markerPrefix + "v1 "
	// chainedSuffix names a project's own hook that courier moved aside and runs first.
	chainedSuffix = ".courier-chained"
	// templatePath is the hook script inside templates.FS.
	templatePath = "hooks/hook.sh"
)

// InstallOptions tunes [Install].
type InstallOptions struct {
	// Force writes into a hooks directory tracked by git, replaces courier-looking hooks this version does
	// not recognise, and resolves a second foreign hook (see [Install]). It never deletes a foreign hook.
	Force bool
	// Binary is the absolute path of the courier executable the hooks call first (then courier on PATH).
	Binary string
	// Pathspecs are the git pathspecs (see [DraftPathspecs]) baked into the hooks: pre-commit and
	// post-commit start courier only when the index or the new commit adds or changes a path they match.
	// None: the hooks start courier on every commit.
	Pathspecs []string
	// ValidateOnly installs pre-commit alone, no delivery hook (an agent's machine in central mode).
	ValidateOnly bool
}

// kind classifies what sits at a hook's path.
type kind int

const (
	absent       kind = iota
	foreign           // not courier's: a symlink, or a file without a marker line
	ours              // courier's, this marker version
	unrecognised      // a courier marker of a version this courier does not know
)

// classify inspects path without following a symlink (courier never writes symlinks, so one is foreign).
func classify(path string) (kind, []byte, fs.FileInfo, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return absent, nil, nil, nil
	}
	if err != nil {
		return absent, nil, nil, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return foreign, nil, fi, nil
	}
	if !fi.Mode().IsRegular() {
		return absent, nil, fi, fmt.Errorf("%s is not a regular file", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return absent, nil, fi, err
	}
	switch marker(b) {
	case "":
		return foreign, b, fi, nil
	case markerVersion:
		return ours, b, fi, nil
	default:
		return unrecognised, b, fi, nil
	}
}

// marker returns the courier marker line of a script (the known-version prefix for this version's
// marker), or "" when it has none.
func marker(b []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, markerVersion) {
			return markerVersion
		}
		if strings.HasPrefix(line, markerPrefix) {
			return line
		}
	}
	return ""
}

// render returns the script for hook name recording binary, pathspecs and the path of the marker file
// seen (see [SeenMarker]).
func render(name, binary string, pathspecs []string, seen string) ([]byte, error) {
	tmpl, err := templates.FS.ReadFile(templatePath)
	if err != nil {
		return nil, fmt.Errorf("read hook template: %w", err)
	}
	for _, p := range pathspecs {
		if p == "" || strings.ContainsAny(p, "'\n\r") {
			return nil, fmt.Errorf("pathspec %q: empty, or holds a quote or line break", p)
		}
	}
	return []byte(strings.NewReplacer("@HOOK@", name, "@COURIER@", shellQuote(binary),
		"@PATHSPECS@", strings.Join(pathspecs, "\n"), "@SEEN@", shellQuote(seen)).Replace(string(tmpl))), nil
}

// SeenMarker is the file where pre-commit tells post-commit of the same `git commit` process whether the
// index it commits changes a draft, so that post-commit runs no git command (docs/protocol.md, "Hooks").
// It lies in courier's private state directory of the common git dir.
func SeenMarker(r *Repo) string { return filepath.Join(r.CommonDir, "courier", seenMarkerName) }

const (
	seenMarkerName = "pre-commit-seen"
	// seenVar and binaryVar are the hook script's variables that hold the marker path and the binary.
	seenVar   = "seen"
	binaryVar = "courier"
)

// shellQuote quotes s for POSIX sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// recordedBinary returns the courier path recorded in a hook script by render.
func recordedBinary(script []byte) string { v, _ := recorded(script, binaryVar); return v }

// recorded returns the value render recorded in a hook script's variable name (shell-quoted on one line),
// and whether the script has that variable.
func recorded(script []byte, name string) (string, bool) {
	sc := bufio.NewScanner(bytes.NewReader(script))
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), name+"=")
		if !ok {
			continue
		}
		// Undo shellQuote: 'a'\''b' → a'b.
		return strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(v, "'"), "'"), `'\''`, "'"), true
	}
	return "", false
}

// step is one planned change to a hook.
type step struct {
	name    string
	hook    string // HooksDir/name
	path    string // where courier's hook goes: hook, or hook + legacySuffix (legacy)
	kind    kind   // what sits at path
	content []byte
	mode    fs.FileMode
	chained bool // hook + chainedSuffix exists
	// legacy: pre-commit's hook sits at hook (or goes back there, restore) and runs courier's from
	// hook + legacySuffix, so that re-running `pre-commit install` finds its own hook and keeps courier's.
	legacy  bool
	restore bool // the preserved hook is pre-commit's and goes back to hook
}

// Install writes courier's pre-commit, post-commit and post-rewrite hooks into r.HooksDir (created 0755
// if missing) and returns one line per change.
//
// A foreign hook is renamed to `<name>.courier-chained` (bytes, mode and symlink kept) and runs before
// courier. A courier hook of this version is rewritten only when its content differs (installing twice
// changes nothing). Without o.Force, Install refuses, before changing anything, when r.HooksTracked and
// when a hook carries a courier marker of an unknown version.
//
// Installing again after a hook manager rewrote its hooks is idempotent (see docs/protocol.md, "Hooks"):
//   - a foreign hook beside an existing `<name>.courier-chained` (husky rewrites its stubs over courier's
//     hooks on every `npm install`) becomes the preserved hook; when the two differ, the earlier one is kept
//     once as `<name>.courier-chained.N` (it no longer runs; uninstall leaves it in place) and the line says
//     so. Numbered copies identical to a kept hook are removed: no content is kept twice, none is lost.
//   - pre-commit's hook (the pre-commit tool's, which runs `<name>.legacy` first and moves any other hook
//     there on `pre-commit install`) stays where it is and courier's goes to `<name>.legacy`; a foreign
//     hook there is chained as above, and a preserved copy of pre-commit's own hook goes back or is dropped.
//
// Concurrent Install and [Uninstall] runs on one directory are serialised (an flock on the directory).
func Install(r *Repo, o InstallOptions) ([]string, error) {
	if r.HooksTracked && !o.Force {
		return nil, fmt.Errorf("hooks directory %s is tracked by git (shared with the team, e.g. husky): courier's hooks record a local binary path; use --force to install there anyway", r.HooksDir)
	}
	binary := o.Binary
	if binary != "" {
		abs, err := filepath.Abs(binary)
		if err != nil {
			return nil, fmt.Errorf("install hooks: %w", err)
		}
		binary = abs
	}
	// The directory is created before anything is inspected: a missing one holds nothing to refuse.
	if err := os.MkdirAll(r.HooksDir, 0o755); err != nil {
		return nil, fmt.Errorf("install hooks: %w", err)
	}
	unlock, err := lockDir(r.HooksDir)
	if err != nil {
		return nil, fmt.Errorf("install hooks: %w", err)
	}
	defer unlock()
	var plan []step
	var problems []error
	for _, name := range o.installNames() {
		s, err := planStep(r.HooksDir, name)
		if err != nil {
			problems = append(problems, fmt.Errorf("install %s: %w", name, err))
			continue
		}
		if s.kind == unrecognised && !o.Force {
			problems = append(problems, fmt.Errorf("install %s: %s carries a courier marker this version does not recognise; use --force to replace it", name, s.path))
		}
		plan = append(plan, s)
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	// The marker's directory is courier's private state (0700, as the mailbox creates it); when it cannot
	// be created, pre-commit cannot write the marker and post-commit always asks git.
	seen := SeenMarker(r)
	var lines []string
	if err := os.MkdirAll(filepath.Dir(seen), 0o700); err != nil {
		lines = append(lines, fmt.Sprintf("note: %v: post-commit will ask git on every commit", err))
	}
	for _, s := range plan {
		want, err := render(s.name, binary, o.Pathspecs, seen)
		if err != nil {
			return lines, err
		}
		l, err := installOne(s, want)
		lines = append(lines, l...)
		if err != nil {
			return lines, fmt.Errorf("install %s: %w", s.name, err)
		}
	}
	return lines, nil
}

// planStep inspects hook name in dir and decides where courier's hook goes.
func planStep(dir, name string) (step, error) {
	hook := filepath.Join(dir, name)
	s := step{name: name, hook: hook, path: hook}
	k, b, fi, err := classify(hook)
	if err != nil {
		return s, err
	}
	ck, cb, _, err := classify(hook + chainedSuffix)
	if err != nil {
		return s, err
	}
	s.chained = ck != absent
	lk, lb, lfi, err := classify(hook + legacySuffix)
	if err != nil {
		return s, err
	}
	switch {
	case k == foreign && preCommitScript(b):
		s.legacy = true
	case k != foreign && ck == foreign && preCommitScript(cb) && (lk == absent || lk == ours || lk == unrecognised):
		// An earlier courier chained pre-commit's hook; the next `pre-commit install` would move
		// courier's to .legacy and run pre-commit's twice.
		s.legacy, s.restore = true, true
	}
	if s.legacy {
		s.path, k, b, fi = hook+legacySuffix, lk, lb, lfi
	}
	s.kind, s.content = k, b
	if fi != nil {
		s.mode = fi.Mode()
	}
	return s, nil
}

// installOne carries out one step of Install's plan.
func installOne(s step, want []byte) ([]string, error) {
	chained := s.hook + chainedSuffix
	name := s.name // how the lines name courier's hook
	var lines []string
	if s.legacy {
		name = s.name + " (as " + filepath.Base(s.path) + ", run by pre-commit's " + s.name + ")"
		switch {
		case s.restore:
			if err := os.Rename(chained, s.hook); err != nil {
				return nil, err
			}
			lines = append(lines, fmt.Sprintf("moved pre-commit's %s back from %s", s.name, filepath.Base(chained)))
			s.chained = false
		case s.chained:
			l, err := dropManagerCopy(s.hook, chained)
			lines = append(lines, l...)
			if err != nil {
				return lines, err
			}
			s.chained = exists(chained)
		}
	}
	switch s.kind {
	case ours:
		if bytes.Equal(s.content, want) {
			if s.mode&0o111 != 0 {
				lines = append(lines, name+" up to date")
				break
			}
			if err := os.Chmod(s.path, 0o755); err != nil {
				return lines, err
			}
			lines = append(lines, "made "+name+" executable")
			break
		}
		lines = append(lines, "updated "+name)
		if err := writeScript(s.path, want); err != nil {
			return lines, err
		}
	case unrecognised:
		lines = append(lines, "replaced unrecognised courier hook "+name)
		if err := writeScript(s.path, want); err != nil {
			return lines, err
		}
	case foreign:
		l, err := chainForeign(s.path, chained)
		lines = append(lines, l...)
		if err != nil {
			return lines, err
		}
		lines = append(lines, "installed "+name)
		if err := writeScript(s.path, want); err != nil {
			return lines, err
		}
	default: // absent
		line := "installed " + name
		if s.chained {
			line += " (chaining existing " + filepath.Base(chained) + ")"
		}
		lines = append(lines, line)
		if err := writeScript(s.path, want); err != nil {
			return lines, err
		}
	}
	l, err := dropDuplicateBackups(filepath.Dir(s.hook), s.name)
	return append(lines, l...), err
}

// freeNumbered returns the first path.N (N ≥ 1) that does not exist.
func freeNumbered(path string) (string, error) {
	for n := 1; n < 1000; n++ {
		p := path + "." + strconv.Itoa(n)
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			return p, nil
		}
	}
	return "", fmt.Errorf("no free numbered name for %s", path)
}

// writeScript atomically replaces path with an executable script.
func writeScript(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".courier-tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(b)
	cerr := f.Close()
	if err := errors.Join(werr, cerr, os.Chmod(tmp, 0o755)); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// Uninstall removes courier's hooks (any file carrying a courier marker line) from r.HooksDir and renames
// every `<name>.courier-chained` back to `<name>`, so a preserved hook comes back byte for byte and mode
// for mode. Anything else is left untouched. When a foreign hook sits where a preserved one would be
// restored, both stay and Uninstall reports an error naming them after finishing the other hooks.
func Uninstall(r *Repo) ([]string, error) {
	unlock, err := lockDir(r.HooksDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // no hooks directory: nothing of courier's to remove
	}
	if err != nil {
		return nil, fmt.Errorf("uninstall hooks: %w", err)
	}
	defer unlock()
	var lines []string
	var problems []error
	for _, name := range hookNames() {
		path := filepath.Join(r.HooksDir, name)
		chained := path + chainedSuffix
		k, _, _, err := classify(path)
		if err != nil {
			problems = append(problems, fmt.Errorf("uninstall %s: %w", name, err))
			continue
		}
		_, cerr := os.Lstat(chained)
		hasChained := cerr == nil
		if l, done, err := uninstallLegacy(path, chained, hasChained); done || err != nil {
			lines = append(lines, l...)
			if err != nil {
				problems = append(problems, fmt.Errorf("uninstall %s: %w", name, err))
			}
			continue
		}
		if k == ours || k == unrecognised {
			if err := os.Remove(path); err != nil {
				problems = append(problems, fmt.Errorf("uninstall %s: %w", name, err))
				continue
			}
			lines = append(lines, "removed "+name)
			k = absent
		}
		switch {
		case hasChained && k == absent:
			if err := os.Rename(chained, path); err != nil {
				problems = append(problems, fmt.Errorf("uninstall %s: %w", name, err))
				continue
			}
			lines = append(lines, fmt.Sprintf("restored foreign %s from %s", name, filepath.Base(chained)))
		case hasChained:
			problems = append(problems, fmt.Errorf("uninstall %s: %s is not courier's hook, so %s cannot be restored over it; merge them by hand", name, path, chained))
		case k == foreign:
			lines = append(lines, fmt.Sprintf("left %s alone (not courier's)", name))
		}
		for _, p := range numberedChained(r.HooksDir, name) {
			lines = append(lines, fmt.Sprintf("left %s in place (an earlier preserved hook; restore it by hand if you need it)", filepath.Base(p)))
		}
	}
	return lines, errors.Join(problems...)
}

// uninstallLegacy removes courier's hook from `<path>.legacy` when pre-commit's hook at path runs it
// from there, and puts the hook courier chained (if any) there instead, where `pre-commit install` would
// have put it. done is false when path is not pre-commit's hook running courier's.
func uninstallLegacy(path, chained string, hasChained bool) (lines []string, done bool, err error) {
	k, b, _, err := classify(path)
	if err != nil || k != foreign || !preCommitScript(b) {
		return nil, false, err
	}
	legacy := path + legacySuffix
	if lk, _, _, err := classify(legacy); err != nil || (lk != ours && lk != unrecognised) {
		return nil, false, err
	}
	if err := os.Remove(legacy); err != nil {
		return nil, true, err
	}
	name := filepath.Base(path)
	lines = append(lines, fmt.Sprintf("removed %s (courier's %s, run by pre-commit's)", filepath.Base(legacy), name))
	if hasChained {
		if err := os.Rename(chained, legacy); err != nil {
			return lines, true, err
		}
		lines = append(lines, fmt.Sprintf("restored foreign %s from %s (pre-commit's %s runs it)", filepath.Base(legacy), filepath.Base(chained), name))
	}
	for _, p := range numberedChained(filepath.Dir(path), name) {
		lines = append(lines, fmt.Sprintf("left %s in place (an earlier preserved hook; restore it by hand if you need it)", filepath.Base(p)))
	}
	return lines, true, nil
}

// numberedChained lists the earlier preserved hooks `<name>.courier-chained.N` in dir.
func numberedChained(dir, name string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		n, ok := strings.CutPrefix(e.Name(), name+chainedSuffix+".")
		if _, err := strconv.Atoi(n); ok && err == nil {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}
