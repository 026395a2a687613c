package adapters

import (
	"fmt"
	"strings"
	"time"
)

// Route picks the destination of a message for a webhook provider (README.md, "Providers"): the channel
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
