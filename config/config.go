// Package config reads `.monoco/courier.yaml` (README.md, "Configuration"): strict YAML decoding with
// errors mapped to file:line, each provider section decoded by its adapter's descriptor, and ${VAR}
// expansion from an injected getenv, applied only where a value is needed.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/adapters/file"
	"github.com/monoco/courier/config/configfile"
	"github.com/monoco/courier/delivery"
	"github.com/monoco/courier/drafts"
	"github.com/monoco/courier/guard"
	"github.com/monoco/courier/templates"
)

// Config is `.monoco/courier.yaml` (README.md, "Configuration"). Decoding is strict: an unknown key
// anywhere is an error reported with its line. ${VAR} references stay unexpanded until a value is needed.
type Config struct {
	Mailbox   string          `yaml:"mailbox"`
	Drafts    DraftsConfig    `yaml:"drafts"`
	Watch     WatchConfig     `yaml:"watch"`
	Retry     RetryConfig     `yaml:"retry"`
	Remote    RemoteConfig    `yaml:"remote"`
	Providers ProvidersConfig `yaml:"providers"`
	Guard     guard.Config    `yaml:"guard"`

	path     string // where it was read from ("" = defaults only)
	registry []adapters.Descriptor
	root     string           // main worktree root; relative paths resolve against it
	mailbox  string           // the mailbox root, ${VAR}-expanded and absolute
	compiled []drafts.Pattern // Drafts.Patterns compiled, or the defaults
}

// DraftsConfig maps branches to drafts directories.
type DraftsConfig struct {
	Patterns []drafts.PatternSpec `yaml:"patterns"`
}

// WatchConfig configures `courier watch`.
type WatchConfig struct {
	Interval      Duration `yaml:"interval"`
	Concurrency   int      `yaml:"concurrency"`
	SendTimeout   Duration `yaml:"send_timeout"`
	ShutdownGrace Duration `yaml:"shutdown_grace"`
	APIToken      string   `yaml:"api_token"`
	APIHosts      []string `yaml:"api_hosts"` // extra Host names the local API answers to
}

// RemoteConfig is central mode (README.md, "Central mode"): the remote agents push to. An empty
// name turns it off.
type RemoteConfig struct {
	Name          string   `yaml:"name"`
	FetchInterval Duration `yaml:"fetch_interval"`
}

// RetryConfig is the retry policy.
type RetryConfig struct {
	MaxAttempts  int      `yaml:"max_attempts"`
	InitialDelay Duration `yaml:"initial_delay"`
	MaxDelay     Duration `yaml:"max_delay"`
	Multiplier   float64  `yaml:"multiplier"`
	MaxAge       Duration `yaml:"max_age"`
}

// ProvidersConfig holds the configured provider sections, each decoded by its adapter's
// descriptor (see registry); the file provider is always there, configured or not.
type ProvidersConfig struct {
	sections map[string]*yaml.Node
	registry []adapters.Descriptor
}

// UnmarshalYAML keeps each section's node for its descriptor; an unknown provider is an unknown
// key, reported as yaml.v3 reports one.
func (p *ProvidersConfig) UnmarshalYAML(n *yaml.Node) error {
	if n.ShortTag() == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: cannot unmarshal %s into config.ProvidersConfig", n.Line, n.ShortTag())}}
	}
	known := map[string]adapters.Descriptor{}
	for _, d := range p.registry {
		known[d.Name] = d
	}
	p.sections = map[string]*yaml.Node{}
	var errs []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		d, ok := known[k.Value]
		switch {
		case !ok:
			errs = append(errs, fmt.Sprintf("line %d: field %s not found in type config.ProvidersConfig", k.Line, k.Value))
			continue
		case p.sections[k.Value] != nil:
			errs = append(errs, fmt.Sprintf("line %d: mapping key %q already defined", k.Line, k.Value))
			continue
		}
		p.sections[k.Value] = v
		var te *yaml.TypeError
		if _, err := d.Decode(v); errors.As(err, &te) {
			errs = append(errs, te.Errors...)
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return &yaml.TypeError{Errors: errs}
	}
	return nil
}

// Provider is a provider with its decoded section.
type Provider struct {
	adapters.Descriptor
	Sec adapters.Section
}

// Configured lists, in registry order, the providers that have a section (the file provider
// always has one).
func (p ProvidersConfig) Configured() []Provider {
	var out []Provider
	for _, d := range p.registry {
		sec, err := d.Decode(p.sections[d.Name]) // decoded without error when it was read
		if err == nil && sec != nil {
			out = append(out, Provider{d, sec})
		}
	}
	return out
}

// FileDir is the file provider's configured dir ("" for the default).
func (p ProvidersConfig) FileDir() string {
	for _, pr := range p.Configured() {
		if c, ok := pr.Sec.Config().(file.Config); ok {
			return c.Dir
		}
	}
	return ""
}

// Duration is a Go duration string in YAML.
type Duration struct{ time.Duration }

// UnmarshalYAML parses "100ms", "5s", "15m", "24h".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration (use e.g. 5s, 15m, 24h)", n.Line, n.Value)
	}
	d.Duration = v
	return nil
}

// Default is the configuration without a file.
func Default() *Config {
	rp := delivery.DefaultRetryPolicy()
	return &Config{
		Mailbox: ".monoco/mailbox",
		Watch: WatchConfig{Interval: Duration{5 * time.Second}, Concurrency: 4,
			SendTimeout: Duration{30 * time.Second}, ShutdownGrace: Duration{10 * time.Second}},
		Retry: RetryConfig{MaxAttempts: rp.MaxAttempts, InitialDelay: Duration{rp.InitialDelay},
			MaxDelay: Duration{rp.MaxDelay}, Multiplier: rp.Multiplier, MaxAge: Duration{rp.MaxAge}},
		Remote: RemoteConfig{FetchInterval: Duration{30 * time.Second}},
	}
}

// File picks the configuration file: --config (flag), then $COURIER_CONFIG, then
// <main worktree>/.monoco/courier.yaml. explicit is true when the user named it (it must exist)
// ([configfile.File]).
func File(flag string, getenv func(string) string, root, cwd string) (path string, explicit bool) {
	return configfile.File(flag, getenv, root, cwd)
}

func absFrom(base, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(base, p)
}

// Load reads and validates the configuration at path for the repository at root, decoding the
// providers of registry; a missing default (not explicit) file means defaults. Every error is a
// configuration error, its lines `file:line: message`.
func Load(path string, explicit bool, root string, getenv func(string) string, registry []adapters.Descriptor) (*Config, error) {
	cfg := Default()
	cfg.root, cfg.registry, cfg.Providers.registry = root, registry, registry
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return cfg, cfg.finish(getenv)
	}
	if err != nil {
		return nil, fmt.Errorf("config %s: %v", path, errors.Unwrap(err))
	}
	cfg.path = path
	rel := relPath(root, path)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s", yamlError(rel, data, err, configKeys(registry)))
	}
	if err := cfg.finish(getenv); err != nil {
		return nil, fmt.Errorf("%s: %v", rel, err)
	}
	return cfg, nil
}

// finish validates the configuration and resolves the mailbox directory.
func (c *Config) finish(getenv func(string) string) error {
	if err := c.validate(); err != nil {
		return err
	}
	p, err := ExpandEnv(c.Mailbox, getenv)
	if err != nil {
		return fmt.Errorf("mailbox: %w", err)
	}
	c.mailbox = absFrom(c.root, p)
	return nil
}

// configKeys lists every key the configuration knows (for "did you mean" hints).
func configKeys(registry []adapters.Descriptor) []string {
	seen := map[string]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t.String()] {
			return
		}
		seen[t.String()] = true
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != "" && name != "-" {
				seen[name] = true
			}
			if f.IsExported() {
				walk(f.Type)
			}
		}
	}
	walk(reflect.TypeOf(Config{}))
	for _, d := range registry {
		seen[d.Name] = true
		for _, k := range d.Keys {
			seen[k] = true
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		if !strings.Contains(k, ".") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func (c *Config) validate() error {
	if c.Watch.Concurrency < 1 {
		return fmt.Errorf("watch.concurrency: must be at least 1")
	}
	if c.Retry.MaxAttempts < 1 {
		return fmt.Errorf("retry.max_attempts: must be at least 1")
	}
	if c.Retry.Multiplier < 1 {
		return fmt.Errorf("retry.multiplier: must be at least 1")
	}
	if c.Retry.InitialDelay.Duration <= 0 || c.Retry.MaxDelay.Duration < c.Retry.InitialDelay.Duration {
		return fmt.Errorf("retry: initial_delay must be > 0 and max_delay ≥ initial_delay")
	}
	var err error
	if c.compiled, err = drafts.CompilePatterns(c.Drafts.Patterns); err != nil {
		return fmt.Errorf("drafts.%w", err)
	}
	for _, p := range c.Providers.Configured() {
		if _, err := delivery.ParseRate(p.Sec.Rate()); err != nil {
			return fmt.Errorf("providers.%s: rate: %w", p.Name, err)
		}
		if _, err := p.Sec.ThrottleWait(); err != nil {
			return fmt.Errorf("providers.%s: %w", p.Name, err)
		}
	}
	return nil
}

// Path is where the configuration was read from ("" = defaults only).
func (c *Config) Path() string { return c.path }

// Patterns returns the configured branch patterns, or the defaults.
func (c *Config) Patterns() []drafts.Pattern {
	if c.compiled == nil {
		return drafts.DefaultPatterns()
	}
	return c.compiled
}

// MailboxDir is the mailbox root (absolute).
func (c *Config) MailboxDir() string { return c.mailbox }

func relPath(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return p
}

// Excludes are the paths git must not see, as .git/info/exclude patterns: the mailbox, the file
// provider's directory (when inside the repository) and the log of the service units.
func (c *Config) Excludes() []string {
	dirPattern := func(rel string) string { return "/" + strings.TrimSuffix(filepath.ToSlash(rel), "/") + "/" }
	out := []string{dirPattern(relPath(c.root, c.mailbox))}
	fileDir := ".monoco/outbox-local"
	if d := c.Providers.FileDir(); d != "" {
		fileDir = d
	}
	if !filepath.IsAbs(fileDir) {
		out = append(out, dirPattern(filepath.Clean(fileDir)))
	}
	return append(out, "/.monoco/courier-watch.log")
}

// WriteDefault writes the commented default configuration (templates/config) to path.
func WriteDefault(path string) error {
	data, err := templates.FS.ReadFile("config/courier.yaml")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// CheckProvider checks a provider name given outside a draft (a flag): one courier has an adapter
// for or, with configured, one this configuration has. The error names the nearest name, found as
// validate finds it (drafts.Suggest).
func (c *Config) CheckProvider(p string, configured bool) error {
	var names []string
	for _, d := range c.registry {
		names = append(names, d.Name)
	}
	what := "provider"
	if configured {
		what, names = "configured provider", nil
		for _, pr := range c.Providers.Configured() {
			names = append(names, pr.Name)
		}
	}
	if p == "" || slices.Contains(names, p) {
		return nil
	}
	if sug := drafts.Suggest(p, names); sug != "" {
		return fmt.Errorf("%q is not a %s (did you mean %q?)", p, what, sug)
	}
	return fmt.Errorf("%q is not a %s (have %s)", p, what, strings.Join(names, ", "))
}
