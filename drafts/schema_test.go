package drafts

import (
	"encoding/json"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSchemaMatchesFieldTables keeps the unknown-field tables (used for "did you mean") in step with
// the embedded schema that `courier schema` prints.
func TestSchemaMatchesFieldTables(t *testing.T) {
	t.Parallel()
	type node struct {
		Ref        string           `json:"$ref"`
		Required   []string         `json:"required"`
		Properties map[string]*node `json:"properties"`
		Items      *node            `json:"items"`
		AddProps   *bool            `json:"additionalProperties"`
	}
	var root struct {
		node
		Definitions map[string]*node `json:"definitions"`
	}
	if err := json.Unmarshal(Schema(), &root); err != nil {
		t.Fatalf("Schema() is not JSON: %v", err)
	}
	resolve := func(n *node) *node {
		if n != nil && n.Ref != "" {
			return root.Definitions[n.Ref[len("#/definitions/"):]]
		}
		return n
	}
	keys := func(n *node) []string {
		var out []string
		for k := range n.Properties {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	sorted := func(s []string) []string { c := append([]string(nil), s...); sort.Strings(c); return c }
	top := &root.node
	if diff := cmp.Diff(sorted(shapeTop.fields()), keys(top)); diff != "" {
		t.Errorf("top-level fields (-table +schema):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"provider", "to"}, top.Required); diff != "" {
		t.Errorf("required: %s", diff)
	}
	for _, c := range []struct {
		s shape
		n *node
	}{
		{shapeSession, top.Properties["session"]},
		{shapeParticipants, top.Properties["participants"]},
		{shapeParticipant, resolve(top.Properties["participants"].Properties["from"])},
		{shapeParticipant, resolve(top.Properties["participants"].Properties["to"].Items)},
		{shapeMention, top.Properties["mentions"].Items},
		{shapeOptions, top.Properties["options"]},
	} {
		if c.n == nil {
			t.Fatalf("%s: not in the schema", c.s)
		}
		if diff := cmp.Diff(sorted(c.s.fields()), keys(c.n)); diff != "" {
			t.Errorf("%s fields (-table +schema):\n%s", c.s, diff)
		}
		if c.n.AddProps == nil || *c.n.AddProps {
			t.Errorf("%s: the schema allows unknown fields", c.s)
		}
	}
	// Schema returns a copy: callers cannot change what validation uses.
	b := Schema()
	b[0] = 'x'
	if Schema()[0] != '{' {
		t.Error("Schema() shares its bytes")
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"subjcet", "subject"}, {"Provider", "provider"}, {"contentType", "content_type"}, {"content-type", "content_type"},
		{"replyto", "reply_to"}, {"ccc", "cc"}, {"zzz", ""}, {"tos", "to"}, {"xyz", ""},
	} {
		if got := Suggest(c.in, shapeTop.fields()); got != c.want {
			t.Errorf("Suggest(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
