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

// render returns the script for hook name recording binary.
func render(name, binary string) ([]byte, error) {
	tmpl, err := templates.FS.ReadFile(templatePath)
	if err != nil {
		return nil, fmt.Errorf("read hook template: %w", err)
	}
	return []byte(strings.NewReplacer("@HOOK@", name, "@COURIER@", shellQuote(binary)).Replace(string(tmpl))), nil
}

// shellQuote quotes s for POSIX sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// recordedBinary returns the courier path recorded in a hook script by render.
func recordedBinary(script []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(script))
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "courier=")
		if !ok {
			continue
		}
		// Undo shellQuote: 'a'\''b' → a'b.
		return strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(v, "'"), "'"), `'\''`, "'")
	}
	return ""
}

// step is one planned change to a hook.
type step struct {
	name, path string
	kind       kind
	content    []byte
	mode       fs.FileMode
	chained    bool // path + chainedSuffix exists
}

// Install writes courier's pre-commit, post-commit and post-rewrite hooks into r.HooksDir (created 0755
// if missing) and returns one line per hook saying what changed.
//
// A foreign hook is renamed to `<name>.courier-chained` (bytes, mode and symlink kept) and runs before
// courier. A courier hook of this version is rewritten only when its content differs (installing twice
// changes nothing). Without o.Force, Install refuses, before changing anything, when r.HooksTracked, when a
// hook carries a courier marker of an unknown version, and when a foreign hook sits beside an existing
// `<name>.courier-chained` (someone replaced courier's hook). With o.Force the last case keeps both: the
// older preserved hook moves to `<name>.courier-chained.N` (lowest free N ≥ 1; it no longer runs and
// uninstall leaves it in place) and the current foreign hook becomes `<name>.courier-chained`.
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
		path := filepath.Join(r.HooksDir, name)
		k, b, fi, err := classify(path)
		if err != nil {
			problems = append(problems, fmt.Errorf("install %s: %w", name, err))
			continue
		}
		s := step{name: name, path: path, kind: k, content: b}
		if fi != nil {
			s.mode = fi.Mode()
		}
		if _, err := os.Lstat(path + chainedSuffix); err == nil {
			s.chained = true
		}
		switch {
		case k == unrecognised && !o.Force:
			problems = append(problems, fmt.Errorf("install %s: %s carries a courier marker this version does not recognise; use --force to replace it", name, path))
		case k == foreign && s.chained && !o.Force:
			problems = append(problems, fmt.Errorf("install %s: %s is not courier's hook and %s already holds an earlier preserved hook; keep one of them by hand, or use --force to keep both (the earlier one moves to a numbered name)", name, path, path+chainedSuffix))
		}
		plan = append(plan, s)
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	var lines []string
	for _, s := range plan {
		want, err := render(s.name, binary)
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

// installOne carries out one step of Install's plan.
func installOne(s step, want []byte) ([]string, error) {
	chained := s.path + chainedSuffix
	switch s.kind {
	case ours:
		if bytes.Equal(s.content, want) {
			if s.mode&0o111 != 0 {
				return []string{s.name + " up to date"}, nil
			}
			if err := os.Chmod(s.path, 0o755); err != nil {
				return nil, err
			}
			return []string{"made " + s.name + " executable"}, nil
		}
		return []string{"updated " + s.name}, writeScript(s.path, want)
	case unrecognised:
		return []string{"replaced unrecognised courier hook " + s.name}, writeScript(s.path, want)
	case foreign:
		var lines []string
		if s.chained {
			older, err := freeNumbered(chained)
			if err != nil {
				return nil, err
			}
			if err := os.Rename(chained, older); err != nil {
				return nil, err
			}
			lines = append(lines, fmt.Sprintf("moved earlier preserved %s to %s (it no longer runs)", filepath.Base(chained), filepath.Base(older)))
		}
		if err := os.Rename(s.path, chained); err != nil {
			return lines, err
		}
		lines = append(lines, fmt.Sprintf("kept foreign %s as %s", s.name, filepath.Base(chained)))
		return append(lines, "installed "+s.name), writeScript(s.path, want)
	default: // absent
		line := "installed " + s.name
		if s.chained {
			line += " (chaining existing " + filepath.Base(chained) + ")"
		}
		return []string{line}, writeScript(s.path, want)
	}
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
