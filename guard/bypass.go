package guard

import (
	"strings"
)

// Reasons for commands that get past courier rather than write into a protected place.

func reasonSkip() string {
	return "courier guard: COURIER_SKIP turns courier's git hooks off. Fix what the hook reports " +
		"(`courier validate` lists it) and commit normally; courier validates and delivers your drafts."
}

func reasonNoVerify() string {
	return "courier guard: `git commit --no-verify` (`-n`) skips courier's check of your drafts. Fix what the " +
		"pre-commit hook reports (`courier validate` lists it) and commit without --no-verify."
}

func reasonHooksPath() string {
	return "courier guard: changing core.hooksPath runs git without courier's hooks. Fix what the hook reports " +
		"(`courier validate` lists it) and commit normally."
}

func reasonUninstall(what string) string {
	return "courier guard: `" + what + "` is the user's decision, not an agent's. Fix what courier reports " +
		"(`courier validate` lists it) and commit again; ask the user if courier itself is wrong."
}

func reasonForce(what string) string {
	return "courier guard: `" + what + " --force` sends drafts courier already delivered once more. To send " +
		"again, change the draft (or write a new one) and commit it; courier delivers the new version."
}

// git handles git's global options (-C, -c) and the subcommands that bypass courier or write into
// protected places.
func (s *shell) git(args []string, st *state) {
	cwd := st.cwd
	i := 0
	for ; i < len(args); i++ {
		a := text(args[i])
		switch {
		case a == "-C" && i+1 < len(args):
			i++
			cwd = s.cd(args[i], &state{cwd: cwd})
		case a == "-c" && i+1 < len(args):
			i++
			if isHooksPath(text(args[i])) {
				s.deny(reasonHooksPath())
				return
			}
		case strings.HasPrefix(a, "-c") && len(a) > 2, strings.HasPrefix(a, "--config-env"):
			if isHooksPath(strings.TrimPrefix(strings.TrimPrefix(a, "--config-env"), "-c")) ||
				a == "--config-env" && i+1 < len(args) && isHooksPath(text(args[i+1])) {
				s.deny(reasonHooksPath())
				return
			}
		case a == "--git-dir" || a == "--work-tree" || a == "--namespace" || a == "--exec-path":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			s.gitSub(a, args[i+1:], cwd)
			return
		}
	}
}

// isHooksPath reports whether a `-c` setting names core.hooksPath (git keys are case-insensitive).
func isHooksPath(kv string) bool {
	k, _, _ := strings.Cut(strings.TrimLeft(kv, "= "), "=")
	return strings.EqualFold(strings.TrimSpace(k), "core.hooksPath")
}

func (s *shell) gitSub(sub string, args []string, cwd string) {
	switch sub {
	case "commit":
		if commitNoVerify(args) {
			s.deny(reasonNoVerify())
		}
	case "add", "stage":
		p := parseArgs(args, spec{values: "", long: []string{"chmod", "pathspec-from-file"}})
		m := modeWrite
		if p.has("f", "force") {
			m |= modeRemove
		}
		for _, o := range p.ops {
			if s.check(o, cwd, m, []Kind{KindMailbox, KindState}) {
				return
			}
		}
	case "rm":
		p := parseArgs(args, spec{long: []string{"pathspec-from-file"}})
		if p.has("cached") {
			return // unstaging is what the pre-commit hook asks for
		}
		s.each(p.ops, cwd, modeWrite|modeRemove)
	case "clean":
		p := parseArgs(args, spec{values: "e", long: []string{"exclude"}})
		if !p.has("x", "X") || p.has("n", "dry-run") {
			return
		}
		ops := p.ops
		if len(ops) == 0 {
			ops = []string{"."}
		}
		for _, o := range ops {
			if s.check(o, cwd, modeWrite|modeRemove, []Kind{KindMailbox, KindState}) {
				return
			}
		}
	case "config":
		var ops []string
		unset := false
		for _, a := range args {
			t := text(a)
			switch {
			case strings.HasPrefix(t, "--unset"), t == "unset":
				unset = true
			case t == "set":
			case strings.HasPrefix(t, "-"):
			default:
				ops = append(ops, t)
			}
		}
		if len(ops) > 0 && isHooksPath(ops[0]) && (unset || len(ops) > 1) {
			s.deny(reasonHooksPath())
		}
	}
}

// commitNoVerify reports whether `git commit` args skip the hooks: --no-verify (or a prefix git
// accepts for it), or -n alone or in a bundle of short options.
func commitNoVerify(args []string) bool {
	for i := 0; i < len(args); i++ {
		t := text(args[i])
		if t == "--" {
			return false
		}
		if strings.HasPrefix(t, "--") {
			if len(t) >= len("--no-v") && strings.HasPrefix("--no-verify", t) {
				return true
			}
			if n, _, hasValue := strings.Cut(t[2:], "="); !hasValue && contains([]string{"message", "file",
				"reuse-message", "reedit-message", "template", "author", "date", "fixup", "squash", "trailer"}, n) {
				i++ // its value
			}
			continue
		}
		if len(t) < 2 || t[0] != '-' {
			continue
		}
		for j, c := range t[1:] {
			if c == 'n' {
				return true
			}
			if strings.ContainsRune("mFCct", c) {
				if j == len(t)-2 {
					i++ // the value is the next argument (`-m "-n is not a flag here"`)
				}
				break // else the rest of the word is the value
			}
			if c == 'S' || c == 'u' {
				break // optional value, attached
			}
		}
	}
	return false
}

// courier denies the courier commands that undo or force it: `hooks uninstall`, `guard uninstall`,
// `deliver --force`, `send --force`.
func (s *shell) courier(args []string) {
	var words []string
	force := false
	for i := 0; i < len(args); i++ {
		t := text(args[i])
		switch {
		case t == "-C" || t == "--config" || t == "-config":
			i++
		case t == "--force" || t == "-force" || strings.HasPrefix(t, "--force=") && t != "--force=false":
			force = true
		case strings.HasPrefix(t, "-"):
		default:
			words = append(words, t)
		}
	}
	if len(words) == 0 {
		return
	}
	switch {
	case len(words) > 1 && (words[0] == "hooks" || words[0] == "guard") && words[1] == "uninstall":
		s.deny(reasonUninstall("courier " + words[0] + " uninstall"))
	case force && (words[0] == "deliver" || words[0] == "send"):
		s.deny(reasonForce("courier " + words[0]))
	}
}
