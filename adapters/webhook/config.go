package webhook

import (
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/monoco/courier/adapters"
)

// Name is the provider name used in drafts and configuration.
const Name = "webhook"

// The generic webhook has no documented rate (docs/protocol.md, "Rate limits": none); a 429 without Retry-After
// defers by DefaultThrottleWait.
const (
	DefaultRate         = ""
	DefaultThrottleWait = "1m"
)

// SecretPrefix starts every Standard Webhooks secret.
const SecretPrefix = "whsec_"

// Config is the `providers.webhook` section (README.md, "Configuration").
type Config struct {
	adapters.Common `yaml:",inline"`
	// URL receives the POSTs (https, or http to a loopback host).
	URL string `yaml:"url"`
	// Secret signs each request (Standard Webhooks v1): whsec_<base64 of 24–64 random bytes>.
	// Empty: requests carry webhook-id and webhook-timestamp but no signature.
	Secret string `yaml:"secret,omitempty"`
	// Channels are aliases usable in `to:`, each its own endpoint and secret.
	Channels map[string]Channel `yaml:"channels,omitempty"`
}

// Channel is one endpoint reachable by alias; an empty secret means unsigned (the provider-level
// secret is not inherited).
type Channel struct {
	URL    string `yaml:"url"`
	Secret string `yaml:"secret,omitempty"`
}

// Secrets returns every secret in cfg (URLs and signing secrets, whose base64 part the redactor
// also knows) for the log redactor.
func Secrets(cfg Config) []string {
	out := []string{cfg.URL, cfg.Secret}
	for _, name := range slices.Sorted(maps.Keys(cfg.Channels)) {
		out = append(out, cfg.Channels[name].URL, cfg.Channels[name].Secret)
	}
	return slices.DeleteFunc(out, func(s string) bool { return s == "" })
}

// decodeSecret returns the HMAC key of a whsec_ secret ("" → nil key, unsigned).
func decodeSecret(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	rest, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok {
		return nil, errors.New("must have the form whsec_<base64>")
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		if key, err = base64.RawStdEncoding.DecodeString(rest); err != nil {
			return nil, errors.New("the part after whsec_ is not valid base64")
		}
	}
	if len(key) == 0 {
		return nil, errors.New("the key after whsec_ is empty")
	}
	return key, nil
}

func (cfg Config) validate() error {
	if cfg.URL == "" && len(cfg.Channels) == 0 {
		return fmt.Errorf("%s: url: required", Name)
	}
	if cfg.URL != "" {
		if err := adapters.CheckURL(cfg.URL); err != nil {
			return fmt.Errorf("%s: url: %w", Name, err)
		}
	}
	if _, err := decodeSecret(cfg.Secret); err != nil {
		return fmt.Errorf("%s: secret: %w", Name, err)
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Channels)) {
		ch := cfg.Channels[name]
		if err := adapters.CheckURL(ch.URL); err != nil {
			return fmt.Errorf("%s: channels.%s.url: %w", Name, name, err)
		}
		if _, err := decodeSecret(ch.Secret); err != nil {
			return fmt.Errorf("%s: channels.%s.secret: %w", Name, name, err)
		}
	}
	if _, err := adapters.ThrottleWait(cfg.ThrottleWait, DefaultThrottleWait); err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	return nil
}

// Descriptor describes the generic webhook to the provider registry. Its channel aliases do not
// fan out: a message goes to one endpoint.
func Descriptor() adapters.Descriptor {
	return adapters.Spec[Config]{Name: Name, Check: Check, Rate: DefaultRate, ThrottleWait: DefaultThrottleWait,
		Channels: func(c Config) []string { return adapters.Keys(c.Channels) },
		Secrets:  Secrets, New: adapters.WithOptions(New)}.Descriptor()
}
