package config

import (
	"bytes"
	"os"
	"time"

	"gopkg.in/yaml.v3"
)

// DefaultFetchInterval is remote.fetch_interval's default.
const DefaultFetchInterval = 30 * time.Second

// FetchEvery is central mode's fetch interval: flag when set, else remote.fetch_interval; the
// default when that is not positive.
func (c *Config) FetchEvery(flag time.Duration, set bool) time.Duration {
	every := c.Remote.FetchInterval.Duration
	if set {
		every = flag
	}
	if every <= 0 {
		return DefaultFetchInterval
	}
	return every
}

// SetsMailbox reports whether the configuration file sets mailbox: itself (a bare clone's must).
func (c *Config) SetsMailbox() bool {
	if c.path == "" {
		return false
	}
	data, err := os.ReadFile(c.path)
	if err != nil {
		return false
	}
	var top struct {
		Mailbox *string `yaml:"mailbox"`
	}
	return yaml.NewDecoder(bytes.NewReader(data)).Decode(&top) == nil && top.Mailbox != nil && *top.Mailbox != ""
}

// ProviderNames are the names of the configured providers, in registry order.
func (c *Config) ProviderNames() []string {
	var names []string
	for _, p := range c.Providers.Configured() {
		names = append(names, p.Name)
	}
	return names
}
