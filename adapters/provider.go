package adapters

import (
	"context"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/monoco/courier/delivery/mailbox"
)

// Sender is the method the watcher calls (delivery.Sender, restated so that adapters need not
// import delivery).
type Sender interface {
	Send(ctx context.Context, m *mailbox.Message) (providerMsgID string, err error)
}

// Env is what building a sender may use.
type Env struct {
	// Expand replaces every ${VAR} in the strings reachable from cfg (a pointer to a section); its
	// error names the key and the unset variable, never a value.
	Expand func(cfg any) error
	Client *http.Client // nil: a client with DefaultTimeout
	Root   string       // the repository root, for paths relative to it
}

// Descriptor is everything the composition root needs of one provider. Each adapter package
// returns its own from Descriptor(); cmd/courier lists them, one line each.
type Descriptor struct {
	Name   string
	Fanout bool     // several channel aliases in `to` fan out into one message each
	Always bool     // available unconfigured: an absent section is an empty one
	Check  Check    // what the provider would refuse, checked before enqueue
	Keys   []string // every key the section takes (for "did you mean" hints)
	// Decode reads the provider's section strictly: an unknown key or a value of the wrong kind
	// is a *yaml.TypeError whose lines name the line. A nil or null n is an absent section: the
	// result is nil, unless Always.
	Decode func(n *yaml.Node) (Section, error)
}

// Section is one decoded provider section, its ${VAR}s not yet expanded: nothing but Build needs
// a secret.
type Section interface {
	Config() any                          // the adapter's Config value
	Channels() []string                   // the channel aliases usable in `to`, sorted
	Rate() string                         // the configured rate, else the provider's default ("": none)
	ThrottleWait() (time.Duration, error) // the configured throttle_wait, else the provider's default
	// Build expands the section and builds its sender. It returns the secrets to redact even
	// when building fails (nil when expanding failed: no value was read).
	Build(env Env) (Sender, []string, error)
}

// Settings is what every Config has by embedding Common.
type Settings interface{ Settings() Common }

// Settings returns the common settings (promoted into every Config that embeds Common).
func (c Common) Settings() Common { return c }

// Spec describes a provider whose section is a C; Descriptor turns it into a Descriptor.
type Spec[C Settings] struct {
	Name         string
	Fanout       bool
	Always       bool
	Check        Check
	Rate         string           // default rate ("": none)
	ThrottleWait string           // default wait after a rate-limit answer without Retry-After
	Channels     func(C) []string // nil: the provider has no channel aliases
	Secrets      func(C) []string
	New          func(C, Env) (Sender, error)
}

// Descriptor returns the type-erased descriptor of s.
func (s Spec[C]) Descriptor() Descriptor {
	var zero C
	return Descriptor{Name: s.Name, Fanout: s.Fanout, Always: s.Always, Check: s.Check,
		Keys: yamlKeys(reflect.TypeOf(zero)),
		Decode: func(n *yaml.Node) (Section, error) {
			var c C
			if n == nil || n.ShortTag() == "!!null" {
				if !s.Always {
					return nil, nil
				}
				return section[C]{s, c}, nil
			}
			if err := DecodeStrict(n, &c); err != nil {
				return nil, err
			}
			return section[C]{s, c}, nil
		}}
}

// section is a decoded C with its spec.
type section[C Settings] struct {
	spec Spec[C]
	cfg  C
}

func (x section[C]) Config() any { return x.cfg }

func (x section[C]) Channels() []string {
	if x.spec.Channels == nil {
		return nil
	}
	return x.spec.Channels(x.cfg)
}

func (x section[C]) Rate() string {
	if r := x.cfg.Settings().Rate; r != "" {
		return r
	}
	return x.spec.Rate
}

func (x section[C]) ThrottleWait() (time.Duration, error) {
	return ThrottleWait(x.cfg.Settings().ThrottleWait, x.spec.ThrottleWait)
}

func (x section[C]) Build(env Env) (Sender, []string, error) {
	cfg := x.cfg
	if env.Expand != nil {
		if err := env.Expand(&cfg); err != nil {
			return nil, nil, err
		}
	}
	s, err := x.spec.New(cfg, env)
	return s, x.spec.Secrets(cfg), err
}

// Keys returns the keys of a channel map, sorted (the Channels of most specs).
func Keys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// WithOptions adapts an HTTP adapter's New(cfg, Options) to Spec.New.
func WithOptions[C any, S Sender](newSender func(C, Options) (S, error)) func(C, Env) (Sender, error) {
	return func(c C, env Env) (Sender, error) {
		s, err := newSender(c, Options{Client: env.Client})
		if err != nil {
			return nil, err
		}
		return s, nil
	}
}
