package guard

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/monoco/courier/config/configfile"
	"github.com/monoco/courier/drafts/pattern"
	"github.com/monoco/courier/gitdir"
)

// ConfigKeys are the top-level keys of courier's configuration file (README.md, "Configuration").
// [ReadSettings] reads three of them and reports any key outside this list, as courier does.
var ConfigKeys = []string{"mailbox", "drafts", "watch", "retry", "remote", "providers", "guard"}

// fileSettings is the part of courier's configuration the guard reads. The other sections are kept
// as nodes, unread: the guard does not link the providers that decode them.
type fileSettings struct {
	Mailbox string `yaml:"mailbox"`
	Drafts  struct {
		Patterns []pattern.Spec `yaml:"patterns"`
	} `yaml:"drafts"`
	Guard Config               `yaml:"guard"`
	Rest  map[string]yaml.Node `yaml:",inline"`
}

// ReadSettings reads what the guard needs from courier's configuration for the repository whose main
// worktree is root: the mailbox, guard.protect and the drafts patterns, with courier's defaults, file
// choice (flag: --config, then $COURIER_CONFIG, relative to cwd) and ${VAR} rules. It decodes those
// keys as strictly as courier does and reports an unknown top-level key; the other sections (the
// providers, watch, retry, remote) are courier's to check. Any error means: protect the defaults.
func ReadSettings(flag string, getenv func(string) string, root, cwd string) (Settings, error) {
	path, explicit := configfile.File(flag, getenv, root, cwd)
	fs0 := fileSettings{Mailbox: ".monoco/mailbox"}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !explicit:
	case err != nil && explicit:
		return Settings{}, fmt.Errorf("%s: %v", configfile.Named(flag, getenv), errors.Unwrap(err))
	case err != nil:
		return Settings{}, fmt.Errorf("config %s: %v", path, errors.Unwrap(err))
	default:
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&fs0); err != nil && !errors.Is(err, io.EOF) {
			return Settings{}, fmt.Errorf("%s: %v", relTo(root, path), err)
		}
		for k := range fs0.Rest {
			if !contains(ConfigKeys, k) {
				return Settings{}, fmt.Errorf("%s: unknown key %q", relTo(root, path), k)
			}
		}
	}
	mailbox, err := configfile.ExpandEnv(fs0.Mailbox, getenv)
	if err != nil {
		return Settings{}, fmt.Errorf("%s: mailbox: %w", relTo(root, path), err)
	}
	patterns, err := pattern.Compile(fs0.Drafts.Patterns)
	if err != nil {
		return Settings{}, fmt.Errorf("%s: drafts.%w", relTo(root, path), err)
	}
	if !filepath.IsAbs(mailbox) {
		mailbox = filepath.Join(root, mailbox)
	}
	return Settings{Mailbox: mailbox, Protect: fs0.Guard.Protect, DraftsDir: func(branch string) string {
		it, _ := pattern.ForBranch(branch, patterns)
		return it.Dir
	}}, nil
}

// ForDir builds the guard for the repository containing dir with courier's configuration (flag:
// --config; cwd: the directory courier runs in), as `courier guard check` and `courier-guard` do.
func ForDir(dir, cwd, flag string, getenv func(string) string) (g *Guard, top, note string) {
	return For(dir, Env{Getenv: getenv, Open: GitOpen,
		ConfigFile: func(root string) string { f, _ := configfile.File(flag, getenv, root, cwd); return f },
		Settings:   func(root, _ string) (Settings, error) { return ReadSettings(flag, getenv, root, cwd) }})
}

// GitOpen finds the repository containing dir by asking git (`git rev-parse`), for when [Discover]
// cannot be sure: what courier's hooks package does, through the same package.
func GitOpen(dir string) (Repo, error) {
	return gitdir.Ask(dir)
}
