package file

import "github.com/monoco/courier/adapters"

// DefaultDir is where sent messages go when Config.Dir is empty, relative to the repository root.
const DefaultDir = ".monoco/outbox-local"

// DefaultThrottleWait is never needed (a file is not rate limited) but every provider reports one.
const DefaultThrottleWait = "1m"

// Config is the `providers.file` section. The provider works unconfigured.
type Config struct {
	Dir             string `yaml:"dir"` // relative to the repository root unless absolute
	adapters.Common `yaml:",inline"`
}

// Secrets lists the configured secrets to redact: the file provider has none.
func Secrets(Config) []string { return nil }

// Descriptor describes the file provider to the provider registry: always available, configured
// or not.
func Descriptor() adapters.Descriptor {
	return adapters.Spec[Config]{Name: Name, Always: true, Check: Check, ThrottleWait: DefaultThrottleWait,
		Secrets: Secrets, New: func(c Config, env adapters.Env) (adapters.Sender, error) {
			s, err := New(c, env.Root)
			if err != nil {
				return nil, err
			}
			return s, nil
		}}.Descriptor()
}
