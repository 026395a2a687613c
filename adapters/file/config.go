package file

import "github.com/monoco/courier/adapters"

// DefaultDir is where sent messages go when Config.Dir is empty, relative to the repository root.
const DefaultDir = ".monoco/outbox-local"

// Config is the `providers.file` section (contract §10). The provider works unconfigured.
type Config struct {
	Dir             string `yaml:"dir"` // relative to the repository root unless absolute
	adapters.Common `yaml:",inline"`
}

// Secrets lists the configured secrets to redact: the file provider has none.
func Secrets(Config) []string { return nil }
