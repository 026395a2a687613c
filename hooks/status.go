package hooks

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// HookStatus is the effective state of one hook in the directory git runs hooks from.
type HookStatus struct {
	Name       string
	Path       string // the file git finds for the hook (HooksDir/Name), "" when there is none
	Courier    bool   // the file there is courier's (carries a courier marker line)
	Chained    string // path of the preserved foreign hook courier runs first, or ""
	Executable bool   // the file exists and is executable: git will run it
	// Via is the hook manager's hook at HooksDir/Name that runs courier's from Path (pre-commit's hook
	// runs `<name>.legacy` first), or "".
	Via string
}

// StatusReport is what [Status] found.
type StatusReport struct {
	HooksDir     string
	HooksTracked bool
	Hooks        []HookStatus
	Warnings     []string // things that mean courier's hooks will not run as expected
}

// Status reports which of courier's hooks git will actually run from r.HooksDir, whether each is
// courier's, which foreign hook is chained, and warnings: core.hooksPath pointing away from courier's
// hooks (e.g. husky set it after install), a hook or preserved hook that is not executable, a preserved
// hook with Windows line endings (its interpreter "/bin/sh\r" does not exist), a recorded
// binary that no longer exists, a hook set that is only partly courier's, earlier preserved hooks left
// behind under numbered names.
func Status(r *Repo) (*StatusReport, error) { return StatusFor(r, nil) }

// StatusFor is [Status] that also warns when courier's hooks were installed with other pathspecs than
// pathspecs (what [DraftPathspecs] gives for the current configuration), or without any (they then start
// courier on every commit): they may let a draft commit pass without courier, or start it for nothing.
// nil pathspecs skips that check. Whatever pathspecs, it warns when they record another marker file than
// [SeenMarker] (the repository moved, or an earlier courier wrote them): post-commit then always asks git.
func StatusFor(r *Repo, pathspecs []string) (*StatusReport, error) {
	rep := &StatusReport{HooksDir: r.HooksDir, HooksTracked: r.HooksTracked}
	var missing []string
	b := bakedCheck{want: pathspecs, seen: SeenMarker(r)}
	for _, name := range hookNames() {
		hs, k, script, err := rep.hook(r, name)
		if err != nil {
			return nil, fmt.Errorf("hooks status %s: %w", name, err)
		}
		if k == ours {
			b.check(name, script)
		}
		if !hs.Courier {
			missing = append(missing, name)
		}
		rep.Hooks = append(rep.Hooks, hs)
	}
	b.warn(rep)
	if len(missing) == len(rep.Hooks) {
		rep.warnElsewhere(r)
	} else if len(missing) > 0 && !rep.ValidateOnly() {
		rep.warn("courier's hooks are only partly installed in %s (missing: %v); run `courier hooks install`", r.HooksDir, missing)
	}
	return rep, nil
}

// hook reports hook name: the file git runs (courier's from `<name>.legacy` when pre-commit's hook runs
// it), what kind it is and its content, with warnings about it and the hooks it chains.
func (rep *StatusReport) hook(r *Repo, name string) (HookStatus, kind, []byte, error) {
	path := filepath.Join(r.HooksDir, name)
	k, script, _, err := classify(path)
	if err != nil {
		return HookStatus{}, k, nil, err
	}
	via := ""
	if k == foreign && preCommitScript(script) {
		// pre-commit's hook runs courier's from <name>.legacy.
		lk, lb, _, err := classify(path + legacySuffix)
		if err != nil {
			return HookStatus{}, k, nil, err
		}
		if lk == ours || lk == unrecognised {
			if !executable(path) {
				rep.warn("%s is not executable, so git does not run it, nor courier's %s (chmod +x %s)", path, path+legacySuffix, path)
			}
			via, path, k, script = path, path+legacySuffix, lk, lb
		}
	}
	hs := HookStatus{Name: name, Courier: k == ours || k == unrecognised, Via: via}
	if k != absent {
		hs.Path = path
		hs.Executable = executable(path) && (via == "" || executable(via))
		if !executable(path) {
			rep.warn("%s is not executable, so git does not run it (chmod +x %s)", path, path)
		}
	}
	switch k {
	case unrecognised:
		rep.warn("%s carries a courier marker this version does not recognise (`courier hooks install --force` replaces it)", path)
	case ours:
		if bin := recordedBinary(script); bin != "" {
			if _, err := os.Stat(bin); err != nil {
				rep.warn("%s records courier at %s, which no longer exists; the hook falls back to courier on PATH (run `courier hooks install` to record the current binary)", path, bin)
			}
		}
	}
	hs.Chained = rep.chained(r, name, path, k)
	for _, p := range numberedChained(r.HooksDir, name) {
		rep.warn("%s is an earlier preserved hook that no longer runs", p)
	}
	return hs, k, script, nil
}

// chained returns the preserved foreign hook of name ("" when there is none) and warns about it; path is
// the file git runs for name, of kind k.
func (rep *StatusReport) chained(r *Repo, name, path string, k kind) string {
	chained := filepath.Join(r.HooksDir, name) + chainedSuffix
	if _, err := os.Lstat(chained); err != nil {
		return ""
	}
	if !executable(chained) {
		rep.warn("%s is not executable, so it does not run (as git would not have run it)", chained)
	} else if crlfShebang(chained) {
		rep.warn("%s has Windows line endings (its #! line ends in a carriage return), so it cannot run (git could not run it either; a failing pre-commit blocks the commit); convert it, e.g. with dos2unix", chained)
	}
	if k == foreign {
		rep.warn("%s replaced courier's hook (a hook manager may have rewritten it); %s is kept but no longer runs (`courier hooks install` chains the new one)", path, chained)
	}
	return chained
}

// bakedCheck compares the values courier's hook scripts recorded at install with the current ones.
type bakedCheck struct {
	want      []string // the pathspecs the configuration gives; nil: not checked
	seen      string   // the marker file (SeenMarker)
	stale     []string // hooks with other pathspecs
	baked     []string // the pathspecs one of them records
	otherSeen []string // hooks with another marker file, or none
	bakedSeen string   // the marker file one of them records
}

func (b *bakedCheck) check(name string, script []byte) {
	if p, _ := bakedPathspecs(script); b.want != nil && !slices.Equal(p, b.want) {
		b.stale, b.baked = append(b.stale, name), p
	}
	if c, _ := recorded(script, seenVar); c != b.seen {
		b.otherSeen, b.bakedSeen = append(b.otherSeen, name), c
	}
}

func (b *bakedCheck) warn(rep *StatusReport) {
	switch {
	case len(b.stale) == 0:
	case len(b.baked) == 0:
		rep.warn("courier's %s start courier on every commit (installed by an earlier courier, without draft pathspecs); reinstall with `courier hooks install`", strings.Join(b.stale, ", "))
	default:
		rep.warn("courier's %s decide which commits concern courier from pathspecs that no longer match the configuration (drafts.patterns or mailbox changed): baked %q, now %q; reinstall with `courier hooks install`", strings.Join(b.stale, ", "), b.baked, b.want)
	}
	switch {
	case len(b.otherSeen) == 0:
	case b.bakedSeen == "":
		rep.warn("courier's %s were installed by an earlier courier, without the marker file that spares post-commit a git command; reinstall with `courier hooks install`", strings.Join(b.otherSeen, ", "))
	default:
		rep.warn("courier's %s record the marker file %s, but this repository's is %s (moved, or the hooks directory is shared), so post-commit always asks git; reinstall with `courier hooks install`", strings.Join(b.otherSeen, ", "), b.bakedSeen, b.seen)
	}
}

// warnElsewhere warns when courier's hooks exist in the default hooks directory but git runs hooks from
// another one (core.hooksPath), so they never run.
func (rep *StatusReport) warnElsewhere(r *Repo) {
	def := filepath.Join(r.CommonDir, "hooks")
	if def == r.HooksDir {
		return
	}
	for _, name := range hookNames() {
		if k, _, _, err := classify(filepath.Join(def, name)); err == nil && (k == ours || k == unrecognised) {
			rep.warn("core.hooksPath makes git run hooks from %s, but courier's hooks are in %s, so they do not run; run `courier hooks install` (with --force if that directory is tracked)", r.HooksDir, def)
			return
		}
	}
}

func (rep *StatusReport) warn(format string, args ...any) {
	rep.Warnings = append(rep.Warnings, fmt.Sprintf(format, args...))
}

// executable reports whether path (symlinks followed) is a regular file with an execute bit, as git
// requires of a hook.
func executable(path string) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	return fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
