package mailbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// MetadataValue is a message's free-form `metadata` mapping, kept as the YAML it was written in: reading
// and writing a message file gives back the same scalars (123456789012345678901234567890 stays that
// integer, 0x1F stays 0x1F, "007" stays a string) and keys of the same type (an integer key stays
// an integer key).
//
// Its JSON form (the seal, the generic webhook's data, --json output) is the plain JSON of the same
// values, mapping keys sorted: an integer of any size is an exact JSON integer literal, never a
// float; keys become strings; timestamps are the strings written. A mapping whose keys collide as
// strings (1 and "1"), an alias, a NaN or an infinity has no JSON form: MarshalJSON fails, and such
// a message cannot be sealed.
type MetadataValue struct{ node *yaml.Node }

// MetadataOf encodes v as metadata; nil for a nil map. A value YAML cannot encode (a func, a
// channel) gives metadata with no content.
func MetadataOf(v map[string]any) *MetadataValue {
	if v == nil {
		return nil
	}
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	return &MetadataValue{node: plainCopy(&n)}
}

// MetadataNode keeps the mapping n (a copy of its values, see plainCopy) as metadata; nil when n is
// nil. It is how a producer that read YAML (a draft) passes it on unchanged.
func MetadataNode(n *yaml.Node) (*MetadataValue, error) {
	if n == nil {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, errors.New("metadata must be a mapping")
	}
	return &MetadataValue{node: plainCopy(n)}, nil
}

// plainCopy copies n keeping only what the values are: kinds, (resolved) tags, scalar text. Styles,
// comments and positions go, so the same metadata is the same tree however it was read or written,
// and the encoder chooses the quoting (it quotes "007" and "" to keep them strings). Block style
// also matters: an empty (null) value cannot be written plain in flow style.
func plainCopy(n *yaml.Node) *yaml.Node {
	c := &yaml.Node{Kind: n.Kind, Tag: n.ShortTag(), Value: n.Value, Anchor: n.Anchor, Alias: n.Alias}
	if c.Tag == "!!merge" {
		c.Tag = "!!str" // metadata is data: "<<" is a string (yaml.v3 writes it plain, then reads a merge key)
	}
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = plainCopy(k)
	}
	return c
}

// MarshalYAML writes the mapping as it was read.
func (m *MetadataValue) MarshalYAML() (any, error) {
	if m == nil || m.node == nil {
		return nil, nil
	}
	return m.node, nil
}

// UnmarshalYAML keeps the mapping as it is written.
func (m *MetadataValue) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: metadata must be a mapping", n.Line)
	}
	m.node = plainCopy(n)
	return nil
}

// MarshalJSON writes the JSON form (see MetadataValue).
func (m *MetadataValue) MarshalJSON() ([]byte, error) {
	if m == nil || m.node == nil {
		return []byte("null"), nil
	}
	v, err := jsonValue(m.node)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	return json.Marshal(v)
}

// Values returns the JSON form as Go values: map[string]any, []any, string, bool, nil, and numbers
// as json.Number, so that encoding/json writes them exactly as MarshalJSON does. It is nil when m is
// nil or has no JSON form.
func (m *MetadataValue) Values() map[string]any {
	if m == nil || m.node == nil {
		return nil
	}
	b, err := m.MarshalJSON()
	if err != nil {
		return nil
	}
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if dec.Decode(&out) != nil {
		return nil
	}
	return out
}

// Equal reports whether m and o hold the same keys and values, with the same types and the same
// scalar text (0x1F and 31 differ; 'a' and "a" do not), in any key order.
func (m *MetadataValue) Equal(o *MetadataValue) bool {
	mn, on := m.get(), o.get()
	if mn == nil || on == nil {
		return mn == on
	}
	return canonical(mn) == canonical(on)
}

func (m *MetadataValue) get() *yaml.Node {
	if m == nil {
		return nil
	}
	return m.node
}

// canonical is a text form of n that ignores style, comments and key order.
func canonical(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		pairs := make([]string, 0, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			pairs = append(pairs, canonical(n.Content[i])+":"+canonical(n.Content[i+1]))
		}
		slices.Sort(pairs)
		return "{" + strings.Join(pairs, ",") + "}"
	case yaml.SequenceNode:
		items := make([]string, len(n.Content))
		for i, c := range n.Content {
			items[i] = canonical(c)
		}
		return "[" + strings.Join(items, ",") + "]"
	case yaml.AliasNode:
		return "*" + n.Value
	}
	b, _ := json.Marshal([]string{n.ShortTag(), n.Value})
	return string(b)
}

var intText = regexp.MustCompile(`^[-+]?[0-9]+$`)

// jsonValue converts n to values encoding/json writes as the JSON form.
func jsonValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a key is not a scalar", k.Line)
			}
			if _, dup := out[k.Value]; dup {
				return nil, fmt.Errorf("key %q is given twice (JSON keys are strings)", k.Value)
			}
			v, err := jsonValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			out[k.Value] = v
		}
		return out, nil
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := jsonValue(c)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case yaml.ScalarNode:
		return jsonScalar(n)
	}
	return nil, fmt.Errorf("line %d: aliases are not allowed in metadata", n.Line)
}

func jsonScalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!str", "!!timestamp", "!!binary", "!!merge":
		return n.Value, nil
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		err := n.Decode(&b)
		return b, err
	case "!!int", "!!float":
		// An integer beyond 64 bits (yaml.v3 resolves it as a float) stays exact.
		if digits := strings.ReplaceAll(n.Value, "_", ""); intText.MatchString(digits) || n.ShortTag() == "!!int" {
			var v any
			if err := n.Decode(&v); err == nil {
				if _, isFloat := v.(float64); !isFloat {
					return v, nil // int or uint64, as encoding/json writes them
				}
			}
			base := 0 // 0x1F, 0o17 as YAML writes them
			if intText.MatchString(digits) {
				base = 10
			}
			if i, ok := new(big.Int).SetString(strings.TrimPrefix(digits, "+"), base); ok {
				return json.Number(i.String()), nil
			}
		}
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, err
		}
		return f, nil
	}
	return nil, fmt.Errorf("line %d: YAML tag %s has no JSON form", n.Line, n.Tag)
}
