package guard

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"

	"github.com/monoco/courier/gitdir"
)

// Repo is where a repository keeps what the guard protects; all paths are absolute.
type Repo = gitdir.Layout

// Discover finds the repository containing dir by reading git's files, without running git: the
// guard runs before every tool call of an agent, and a git subprocess costs more than the whole
// decision. ok is false whenever the answer could differ from git's (GIT_DIR and the like set, a bare
// repository, config includes): the caller then asks git itself.
func Discover(dir string, getenv func(string) string) (r Repo, ok bool) {
	for _, v := range []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_CONFIG", "GIT_CONFIG_COUNT",
		"GIT_CONFIG_PARAMETERS", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CEILING_DIRECTORIES"} {
		if getenv(v) != "" {
			return r, false
		}
	}
	d := filepath.Clean(dir)
	for {
		dotgit := filepath.Join(d, ".git")
		fi, err := os.Stat(dotgit)
		if err == nil {
			r.Top = d
			switch {
			case fi.IsDir():
				r.GitDir = dotgit
			case fi.Mode().IsRegular():
				b, err := os.ReadFile(dotgit)
				gd, found := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir: ")
				if err != nil || !found {
					return r, false
				}
				r.GitDir = absUnder(d, gd)
			default:
				return r, false
			}
			break
		}
		parent := filepath.Dir(d)
		if parent == d {
			return r, false
		}
		d = parent
	}
	r.CommonDir = r.GitDir
	if b, err := os.ReadFile(filepath.Join(r.GitDir, "commondir")); err == nil {
		r.CommonDir = absUnder(r.GitDir, strings.TrimSpace(string(b)))
	}
	r.MainWorktree = r.Top
	if r.CommonDir != r.GitDir {
		if filepath.Base(r.CommonDir) != ".git" {
			return r, false
		}
		r.MainWorktree = filepath.Dir(r.CommonDir)
	}
	r.HooksDir, ok = hooksDir(r, getenv)
	return r, ok
}

// hooksDir is where git runs r's hooks from: core.hooksPath (the last setting wins: system, then
// global, then the repository's own), else the common dir's hooks/. ok is false when a config file
// could say otherwise in a way this reader does not follow.
func hooksDir(r Repo, getenv func(string) string) (string, bool) {
	home := getenv("HOME")
	xdg := getenv("XDG_CONFIG_HOME")
	if xdg == "" && home != "" {
		xdg = filepath.Join(home, ".config")
	}
	files := []string{}
	if getenv("GIT_CONFIG_NOSYSTEM") == "" {
		files = append(files, "/etc/gitconfig")
	}
	if xdg != "" {
		files = append(files, filepath.Join(xdg, "git", "config"))
	}
	if home != "" {
		files = append(files, filepath.Join(home, ".gitconfig"))
	}
	files = append(files, filepath.Join(r.CommonDir, "config"), filepath.Join(r.GitDir, "config.worktree"))
	hooksPath := ""
	for _, f := range files {
		v, set, sure := configValue(f, "core", "hookspath")
		if !sure {
			return "", false
		}
		if set {
			hooksPath = v
		}
	}
	switch {
	case hooksPath == "":
		return filepath.Join(r.CommonDir, "hooks"), true
	case strings.HasPrefix(hooksPath, "~/") && home != "":
		return filepath.Join(home, hooksPath[2:]), true
	}
	return absUnder(r.Top, hooksPath), true
}

func absUnder(base, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(base, p)
}

// configValue reads section.key from a git config file (a missing file sets nothing). sure is false
// for what this small reader does not follow (includes, a value it cannot parse).
func configValue(file, section, key string) (value string, set, sure bool) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", false, os.IsNotExist(err)
	}
	in := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				return "", false, false
			}
			name := strings.ToLower(strings.TrimSpace(line[1:end]))
			if strings.HasPrefix(name, "include") {
				return "", false, false
			}
			in = name == section
			line = strings.TrimSpace(line[end+1:])
			if line == "" {
				continue
			}
		}
		if !in {
			continue
		}
		k, v, hasValue := strings.Cut(line, "=")
		if !strings.EqualFold(strings.TrimSpace(k), key) {
			continue
		}
		v = strings.TrimSpace(v)
		if strings.ContainsAny(v, `\`) || strings.HasSuffix(v, `\`) {
			return "", false, false
		}
		if i := strings.IndexAny(v, "#;"); i >= 0 && !strings.Contains(v, `"`) {
			v = strings.TrimSpace(v[:i])
		}
		if strings.HasPrefix(v, `"`) {
			end := strings.IndexByte(v[1:], '"')
			if end < 0 {
				return "", false, false
			}
			v = v[1 : end+1]
		}
		if !hasValue {
			v = "true"
		}
		value, set = v, true
	}
	return value, set, sc.Err() == nil
}
