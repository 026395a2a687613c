package mailbox

import (
	"encoding/json"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// metadataWith is md with key set to v (for tests that change one value).
func metadataWith(md *MetadataValue, key string, v any) *MetadataValue {
	vals := md.Values()
	if vals == nil {
		vals = map[string]any{}
	}
	vals[key] = v
	return MetadataOf(vals)
}

const exactMetadata = `metadata:
  big: 123456789012345678901234567890
  neg: -123456789012345678901234567890
  hex: 0x1F
  s: "007"
  1: one
  f: 1.5
  when: 2026-01-01
  nested:
    list: [1, 99999999999999999999, true, null]
`

// TestMetadataExactRoundTrip: a message file carries its metadata's scalars and key types back
// unchanged, and the JSON form has the integers exact.
func TestMetadataExactRoundTrip(t *testing.T) {
	t.Parallel()
	m := sampleMessage("out_webhook_0123456789ab")
	var in struct {
		Metadata *MetadataValue `yaml:"metadata"`
	}
	if err := yaml.Unmarshal([]byte(exactMetadata), &in); err != nil {
		t.Fatal(err)
	}
	m.Metadata = in.Metadata
	data, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"big: 123456789012345678901234567890\n", "neg: -123456789012345678901234567890\n",
		"hex: 0x1F\n", `s: "007"` + "\n", "1: one\n", "f: 1.5\n", "when: 2026-01-01\n", "- 99999999999999999999\n"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("message file lacks %q:\n%s", want, data)
		}
	}
	back, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Metadata.Equal(m.Metadata) {
		t.Errorf("metadata changed on re-reading:\n%s", data)
	}
	again, err := Marshal(back)
	if err != nil || string(again) != string(data) {
		t.Errorf("re-written file differs (err %v):\n%s\nwant\n%s", err, again, data)
	}
	got, err := json.Marshal(back.Metadata)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"1":"one","big":123456789012345678901234567890,"f":1.5,"hex":31,` +
		`"neg":-123456789012345678901234567890,"nested":{"list":[1,99999999999999999999,true,null]},"s":"007","when":"2026-01-01"}`
	if string(got) != want {
		t.Errorf("JSON form\n got %s\nwant %s", got, want)
	}
	// Values gives the same, exactly, to code that builds its own JSON (the generic webhook).
	if b, err := json.Marshal(back.Metadata.Values()); err != nil || string(b) != want {
		t.Errorf("JSON of Values() = %s (%v)", b, err)
	}
}

// TestMetadataJSONAsBefore: for metadata written from plain values (every message file before the
// metadata kept its YAML form) the JSON form is encoding/json's, so existing seals still verify.
func TestMetadataJSONAsBefore(t *testing.T) {
	t.Parallel()
	for _, v := range []map[string]any{
		{"ticket": "FEAT-1", "count": 3, "ratio": 0.5, "big": 1.2345678901234568e+29, "small": 1e-7,
			"tags": []any{"a", "<b>", nil}, "nested": map[string]any{"ok": true, "n": -7}, "html": "a&b"},
	} {
		data, err := yaml.Marshal(map[string]any{"metadata": v})
		if err != nil {
			t.Fatal(err)
		}
		var file struct {
			Metadata *MetadataValue `yaml:"metadata"`
		}
		if err := yaml.Unmarshal(data, &file); err != nil {
			t.Fatal(err)
		}
		var old struct {
			Metadata map[string]any `yaml:"metadata"`
		}
		if err := yaml.Unmarshal(data, &old); err != nil {
			t.Fatal(err)
		}
		got, err1 := json.Marshal(file.Metadata)
		want, err2 := json.Marshal(old.Metadata)
		if err1 != nil || err2 != nil || string(got) != string(want) {
			t.Errorf("JSON form %s (%v), want %s (%v)", got, err1, want, err2)
		}
	}
}

func TestMetadataWithoutJSONForm(t *testing.T) {
	t.Parallel()
	for name, text := range map[string]string{
		"keys collide": "metadata: {1: a, '1': b}",
		"alias":        "metadata: {a: &x 1, b: *x}",
		"nan":          "metadata: {a: .nan}",
	} {
		var file struct {
			Metadata *MetadataValue `yaml:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(text), &file); err != nil {
			t.Fatal(err)
		}
		if b, err := json.Marshal(file.Metadata); err == nil {
			t.Errorf("%s: JSON form %s, want an error", name, b)
		}
		if file.Metadata.Values() != nil {
			t.Errorf("%s: Values() is not nil", name)
		}
	}
}
