package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/adapters/file"
	"github.com/monoco/courier/delivery"
	"github.com/monoco/courier/drafts"
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

	path     string           // where it was read from ("" = defaults only)
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
}

// UnmarshalYAML keeps each section's node for its descriptor; an unknown provider is an unknown
// key, reported as yaml.v3 reports one.
func (p *ProvidersConfig) UnmarshalYAML(n *yaml.Node) error {
	if n.ShortTag() == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: cannot unmarshal %s into main.ProvidersConfig", n.Line, n.ShortTag())}}
	}
	known := map[string]adapters.Descriptor{}
	for _, d := range registry() {
		known[d.Name] = d
	}
	p.sections = map[string]*yaml.Node{}
	var errs []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		d, ok := known[k.Value]
		switch {
		case !ok:
			errs = append(errs, fmt.Sprintf("line %d: field %s not found in type main.ProvidersConfig", k.Line, k.Value))
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

// provider is a provider with its decoded section.
type provider struct {
	adapters.Descriptor
	sec adapters.Section
}

// configured lists, in registry order, the providers that have a section (the file provider
// always has one).
func (p ProvidersConfig) configured() []provider {
	var out []provider
	for _, d := range registry() {
		sec, err := d.Decode(p.sections[d.Name]) // decoded without error when it was read
		if err == nil && sec != nil {
			out = append(out, provider{d, sec})
		}
	}
	return out
}

// fileDir is the file provider's configured dir ("" for the default).
func (p ProvidersConfig) fileDir() string {
	for _, pr := range p.configured() {
		if c, ok := pr.sec.Config().(file.Config); ok {
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

func defaultConfig() *Config {
	rp := delivery.DefaultRetryPolicy()
	return &Config{
		Mailbox: ".monoco/mailbox",
		Watch: WatchConfig{Interval: Duration{5 * time.Second}, Concurrency: 4,
			SendTimeout: Duration{30 * time.Second}, ShutdownGrace: Duration{10 * time.Second}},
		Retry: RetryConfig{MaxAttempts: rp.MaxAttempts, InitialDelay: Duration{rp.InitialDelay},
			MaxDelay: Duration{rp.MaxDelay}, Multiplier: rp.Multiplier, MaxAge: Duration{rp.MaxAge}},
		Remote: RemoteConfig{FetchInterval: Duration{defaultFetchInterval}},
	}
}

// configFile picks the configuration file: --config, then $COURIER_CONFIG, then
// <main worktree>/.monoco/courier.yaml. explicit is true when the user named it (it must exist).
func configFile(flag string, getenv func(string) string, root, cwd string) (path string, explicit bool) {
	switch {
	case flag != "":
		return absFrom(cwd, flag), true
	case getenv("COURIER_CONFIG") != "":
		return absFrom(cwd, getenv("COURIER_CONFIG")), true
	}
	return filepath.Join(root, ".monoco", "courier.yaml"), false
}

func absFrom(base, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(base, p)
}

// loadConfig reads and validates the configuration; a missing default file means defaults.
func loadConfig(path string, explicit bool, root string, getenv func(string) string) (*Config, error) {
	cfg := defaultConfig()
	cfg.root = root
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return cfg, cfg.finish(getenv)
	}
	if err != nil {
		return nil, configErrorf("config %s: %v", path, errors.Unwrap(err))
	}
	cfg.path = path
	rel := relPath(root, path)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, configErrorf("%s", yamlError(rel, err))
	}
	if err := cfg.finish(getenv); err != nil {
		return nil, configErrorf("%s: %v", rel, err)
	}
	return cfg, nil
}

// finish validates the configuration and resolves the mailbox directory.
func (c *Config) finish(getenv func(string) string) error {
	if err := c.validate(); err != nil {
		return err
	}
	p, err := expandEnv(c.Mailbox, getenv)
	if err != nil {
		return fmt.Errorf("mailbox: %w", err)
	}
	c.mailbox = absFrom(c.root, p)
	return nil
}

var yamlLineRe = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
var unknownFieldRe = regexp.MustCompile(`^field (\S+) not found in type \S+$`)

// structTypeRe matches yaml.v3's error for a scalar or list where a section (a Go struct) belongs,
// which would otherwise name the Go type ("into main.WatchConfig").
var structTypeRe = regexp.MustCompile(`^cannot unmarshal !!(\w+)(?: .*)? into \*?(?:main|[a-z]+)\.[A-Z]\w*$`)

var yamlKinds = map[string]string{"seq": "a list", "str": "a string", "int": "a number", "float": "a number",
	"bool": "true or false", "null": "empty", "map": "a mapping", "binary": "binary data", "timestamp": "a timestamp"}

// yamlError turns a yaml.v3 error into `file:line: message` lines.
func yamlError(file string, err error) string {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	out := make([]string, 0, len(msgs))
	for _, m := range msgs {
		m = strings.TrimPrefix(m, "yaml: ")
		if sub := yamlLineRe.FindStringSubmatch(m); sub != nil {
			msg := sub[2]
			if f := unknownFieldRe.FindStringSubmatch(msg); f != nil {
				msg = fmt.Sprintf("%s: unknown key", f[1])
				if sug := drafts.Suggest(f[1], configKeys()); sug != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", sug)
				}
			}
			if f := structTypeRe.FindStringSubmatch(msg); f != nil {
				msg = "must be a mapping of keys, not " + yamlKinds[f[1]]
			}
			msg = strings.ReplaceAll(msg, "line "+sub[1]+": ", "")
			out = append(out, fmt.Sprintf("%s:%s: %s", file, sub[1], msg))
			continue
		}
		out = append(out, file+": "+m)
	}
	return strings.Join(out, "\n")
}

// configKeys lists every key the configuration knows (for "did you mean" hints).
func configKeys() []string {
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
	for _, d := range registry() {
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
	for _, p := range c.Providers.configured() {
		if _, err := delivery.ParseRate(p.sec.Rate()); err != nil {
			return fmt.Errorf("providers.%s: rate: %w", p.Name, err)
		}
		if _, err := p.sec.ThrottleWait(); err != nil {
			return fmt.Errorf("providers.%s: %w", p.Name, err)
		}
	}
	return nil
}

// patterns returns the configured branch patterns, or the defaults.
func (c *Config) patterns() []drafts.Pattern {
	if c.compiled == nil {
		return drafts.DefaultPatterns()
	}
	return c.compiled
}

// mailboxDir is the mailbox root (absolute).
func (c *Config) mailboxDir() string { return c.mailbox }

var varRe = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${VAR} with its value; an unset variable is an error naming it (never its value).
func expandEnv(s string, getenv func(string) string) (string, error) {
	var missing []string
	out := varRe.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		v := getenv(name)
		if v == "" {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("environment variable %s is not set", strings.Join(missing, ", "))
	}
	return out, nil
}

// expandStrings expands ${VAR} in every string reachable from v (a pointer to a config struct),
// reporting the first unset variable with the YAML key path that needs it.
func expandStrings(v any, getenv func(string) string) error {
	return expandValue(reflect.ValueOf(v), "", getenv)
}

func expandValue(v reflect.Value, path string, getenv func(string) string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return expandValue(v.Elem(), path, getenv)
	case reflect.String:
		s, err := expandEnv(v.String(), getenv)
		if err != nil {
			return fmt.Errorf("%s: %w", strings.TrimPrefix(path, "."), err)
		}
		if v.CanSet() {
			v.SetString(s)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			if !t.Field(i).IsExported() {
				continue
			}
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			p := path
			if name != "" {
				p = path + "." + name
			}
			if err := expandValue(v.Field(i), p, getenv); err != nil {
				return err
			}
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		for _, k := range keys {
			elem := reflect.New(v.Type().Elem()).Elem()
			elem.Set(v.MapIndex(k))
			if err := expandValue(elem, path+"."+fmt.Sprint(k), getenv); err != nil {
				return err
			}
			v.SetMapIndex(k, elem)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			if err := expandValue(v.Index(i), path+"["+strconv.Itoa(i)+"]", getenv); err != nil {
				return err
			}
		}
	}
	return nil
}

func relPath(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return p
}
