package drafts

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/monoco/courier/delivery/mailbox"
)

// metadataYAML is the metadata mapping written as text.
func metadataYAML(t *testing.T, text string) *mailbox.MetadataValue {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(text), &n); err != nil || len(n.Content) != 1 {
		t.Fatalf("metadata %q: %v", text, err)
	}
	md, err := mailbox.MetadataNode(n.Content[0])
	if err != nil {
		t.Fatal(err)
	}
	return md
}

// TestMetadataExact: a draft's metadata reaches the sealed message file as written — an integer
// beyond 2^53, 0x1F, a quoted "007", an integer key — and its JSON form keeps the integers exact.
func TestMetadataExact(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	d := newDeliverer(t, mb)
	draft := "---\nprovider: file\nto: x\nmetadata: {big: 123456789012345678901234567890, hex: 0x1F, zip: \"007\", 1: one,\n" +
		"  # a comment\n  nested: {n: [-98765432109876543210, 2.5]}}\n---\nbody\n"
	res, err := d.Deliver(context.Background(), []Input{input("meta.md", draft)}, Options{})
	if err != nil || len(res.Delivered) != 1 {
		t.Fatalf("deliver: %v %+v %v", err, res, res.Invalid)
	}
	raw, err := os.ReadFile(res.Delivered[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"big: 123456789012345678901234567890\n", "hex: 0x1F\n", "zip: \"007\"\n", "1: one\n",
		"- -98765432109876543210\n"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("message file lacks %q:\n%s", want, raw)
		}
	}
	if strings.Contains(string(raw), "e+") || strings.Contains(string(raw), "comment") {
		t.Errorf("message file has a float or the comment:\n%s", raw)
	}
	m, err := mailbox.Read(res.Delivered[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Metadata.Equal(metadataYAML(t, "{big: 123456789012345678901234567890, hex: 0x1F, zip: \"007\", 1: one, nested: {n: [-98765432109876543210, 2.5]}}")) {
		t.Errorf("metadata read back differs:\n%s", raw)
	}
	s, err := mb.Sealer()
	if err != nil {
		t.Fatal(err)
	}
	if st := s.Verify(m); st != mailbox.Sealed {
		t.Errorf("seal: %v", st)
	}
	b, err := json.Marshal(m.Metadata)
	const want = `{"1":"one","big":123456789012345678901234567890,"hex":31,"nested":{"n":[-98765432109876543210,2.5]},"zip":"007"}`
	if err != nil || string(b) != want {
		t.Errorf("JSON form %s (%v), want %s", b, err, want)
	}
}

// TestMetadataKeysCollide: keys that are the same string (1 and "1") have no JSON form; the draft is
// invalid rather than unsendable.
func TestMetadataKeysCollide(t *testing.T) {
	t.Parallel()
	_, errs := newValidator(t).Parse(input("d.md", "---\nprovider: file\nto: x\nmetadata: {1: a, \"1\": b}\n---\nbody\n"))
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Field, "metadata") {
		t.Fatalf("got %v, want one metadata problem", errs)
	}
}
