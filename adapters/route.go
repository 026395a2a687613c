package adapters

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Route picks the destination of a message for a webhook provider (contract §11): the channel
// alias its `to` names, else def, the provider's default (hasDef false: there is none, a
// permanent failure naming `what` — the provider's setting, e.g. "webhook" or "url"). Several
// different aliases in one message are a permanent failure (see PickAlias). Errors start with
// provider.
func Route[C any](provider, what string, to []string, channels map[string]C, def C, hasDef bool) (C, error) {
	var zero C
	alias, err := PickAlias(to, channels)
	if err != nil {
		return zero, Permanent("%s: %v", provider, err)
	}
	if alias != "" {
		return channels[alias], nil
	}
	if !hasDef {
		return zero, Permanent("%s: to %q is not a configured channel and no default %s is set",
			provider, strings.Join(to, ", "), what)
	}
	return def, nil
}

// ThrottleWait parses a provider's throttle_wait setting (empty: def) as a positive Go duration.
// The error names the value, which is never a secret.
func ThrottleWait(value, def string) (time.Duration, error) {
	v := value
	if v == "" {
		v = def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("throttle_wait: %q is not a positive duration", value)
	}
	return d, nil
}

// Robot is the shape every webhook-robot section shares: a default webhook and channel aliases, each
// with its own webhook, plus throttle_wait.
type Robot[C any] struct {
	Provider     string
	Webhook      string       // the default webhook ("" when only channels are configured)
	Channels     map[string]C // aliases usable in `to:`
	Hook         func(C) string
	ThrottleWait string // the configured value ("" for the default)
	DefaultWait  string
	CheckURL     func(string) error // nil: CheckURL (https, except loopback)
}

// Validate checks a robot section without echoing any secret: a default webhook or at least one
// channel, every URL accepted, throttle_wait a duration. It returns the throttle wait.
func (r Robot[C]) Validate() (time.Duration, error) {
	check := r.CheckURL
	if check == nil {
		check = CheckURL
	}
	if r.Webhook == "" && len(r.Channels) == 0 {
		return 0, fmt.Errorf("%s: webhook: required (or at least one channel)", r.Provider)
	}
	if r.Webhook != "" {
		if err := check(r.Webhook); err != nil {
			return 0, fmt.Errorf("%s: webhook: %w", r.Provider, err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(r.Channels)) {
		if err := check(r.Hook(r.Channels[name])); err != nil {
			return 0, fmt.Errorf("%s: channels.%s.webhook: %w", r.Provider, name, err)
		}
	}
	d, err := ThrottleWait(r.ThrottleWait, r.DefaultWait)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", r.Provider, err)
	}
	return d, nil
}
