package adapters

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func node(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

// TestDecodeStrict: unknown keys anywhere in a section (inline settings and channel maps
// included) are errors naming their line, in yaml.v3's words, beside its own type errors.
func TestDecodeStrict(t *testing.T) {
	t.Parallel()
	var ok SignedRobot
	if err := DecodeStrict(node(t, "webhook: https://x\nrate: 5/s\nchannels:\n  ops: {webhook: https://y, secret: s}\n"), &ok); err != nil {
		t.Fatalf("valid section: %v", err)
	}
	if ok.Rate != "5/s" || ok.Channels["ops"].Secret != "s" {
		t.Errorf("decoded %+v", ok)
	}
	var bad SignedRobot
	err := DecodeStrict(node(t, "webhook: https://x\ncolour: 1\nchannels:\n  ops: {webhook: https://y, secrt: s}\nthrottle_wait: [1]\n"), &bad)
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want a *yaml.TypeError", err)
	}
	want := []string{"line 2: field colour not found in type adapters.SignedRobot",
		"line 4: field secrt not found in type adapters.Hook", "line 5: cannot unmarshal"}
	if len(te.Errors) != len(want) {
		t.Fatalf("errors = %q, want %d", te.Errors, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(te.Errors[i], w) {
			t.Errorf("error %d = %q, want prefix %q", i, te.Errors[i], w)
		}
	}
}

type testConfig struct {
	Common `yaml:",inline"`
	URL    string            `yaml:"url"`
	Chans  map[string]string `yaml:"channels"`
}

type testSender struct{ Sender }

func testSpec(always bool) Spec[testConfig] {
	return Spec[testConfig]{Name: "t", Always: always, Rate: "2/s", ThrottleWait: "3m",
		Channels: func(c testConfig) []string { return Keys(c.Chans) },
		Secrets:  func(c testConfig) []string { return []string{c.URL} },
		New:      func(testConfig, Env) (Sender, error) { return testSender{}, nil }}
}

// TestDescriptor: an absent section is no provider unless Always; a section reports its own rate
// and throttle wait (the provider's defaults when unset); Build expands before New and returns
// the expanded secrets; Keys lists the section's keys for hints.
func TestDescriptor(t *testing.T) {
	t.Parallel()
	d := testSpec(false).Descriptor()
	if sec, err := d.Decode(nil); sec != nil || err != nil {
		t.Errorf("absent section = %v, %v; want nil", sec, err)
	}
	if sec, err := d.Decode(node(t, "~")); sec != nil || err != nil {
		t.Errorf("null section = %v, %v; want nil", sec, err)
	}
	if sec, _ := testSpec(true).Descriptor().Decode(nil); sec == nil {
		t.Error("an Always provider has no section when unconfigured")
	}
	for _, k := range []string{"rate", "throttle_wait", "url", "channels"} {
		if !slices.Contains(d.Keys, k) {
			t.Errorf("Keys = %q, missing %q", d.Keys, k)
		}
	}
	sec, err := d.Decode(node(t, "url: https://h/${TOK}\nchannels: {b: x, a: y}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if w, err := sec.ThrottleWait(); sec.Rate() != "2/s" || w != 3*time.Minute || err != nil {
		t.Errorf("defaults: rate %q, wait %v, %v", sec.Rate(), w, err)
	}
	if got := sec.Channels(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Channels = %q", got)
	}
	expand := func(v any) error {
		c := v.(*testConfig)
		c.URL = strings.ReplaceAll(c.URL, "${TOK}", "tok-1234")
		return nil
	}
	_, secrets, err := sec.Build(Env{Expand: expand})
	if err != nil || !slices.Equal(secrets, []string{"https://h/tok-1234"}) {
		t.Errorf("Build secrets = %q, %v", secrets, err)
	}
	if sec.Config().(testConfig).URL != "https://h/${TOK}" {
		t.Error("Build expanded the section in place")
	}
	set, _ := d.Decode(node(t, "url: u\nrate: 9/min\nthrottle_wait: 5s\n"))
	if w, _ := set.ThrottleWait(); set.Rate() != "9/min" || w != 5*time.Second {
		t.Errorf("configured: rate %q, wait %v", set.Rate(), w)
	}
}
