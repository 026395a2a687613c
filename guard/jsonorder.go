package guard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// node is a JSON value that keeps its object keys in the order they were read, so that a settings file
// the guard rewrites changes only where the guard's own entry goes.
type node struct {
	keys   []string         // object: keys in order
	fields map[string]*node // object: values
	items  []*node          // array
	scalar any              // string, json.Number, bool or nil
	kind   byte             // '{', '[', or 0 for a scalar
}

func newObject() *node { return &node{kind: '{', fields: map[string]*node{}} }

func str(s string) *node { return &node{scalar: s} }

// get returns the value of key in an object, or nil.
func (n *node) get(key string) *node {
	if n == nil || n.kind != '{' {
		return nil
	}
	return n.fields[key]
}

// text is a string value's text ("" for anything else, nil included).
func (n *node) text() string {
	if n == nil {
		return ""
	}
	s, _ := n.scalar.(string)
	return s
}

// set puts key last in an object, or replaces its value in place.
func (n *node) set(key string, v *node) {
	if _, ok := n.fields[key]; !ok {
		n.keys = append(n.keys, key)
	}
	n.fields[key] = v
}

func (n *node) del(key string) {
	if _, ok := n.fields[key]; !ok {
		return
	}
	delete(n.fields, key)
	for i, k := range n.keys {
		if k == key {
			n.keys = append(n.keys[:i], n.keys[i+1:]...)
			break
		}
	}
}

// parseJSON reads one JSON value (and nothing after it).
func parseJSON(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := parseNode(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	return n, nil
}

func parseNode(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		n := newObject()
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			v, err := parseNode(dec)
			if err != nil {
				return nil, err
			}
			n.set(k, v)
		}
		_, err := dec.Token()
		return n, err
	case json.Delim('['):
		n := &node{kind: '['}
		for dec.More() {
			v, err := parseNode(dec)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, v)
		}
		_, err := dec.Token()
		return n, err
	}
	return &node{scalar: tok}, nil
}

// encode writes n indented by two spaces, as `json.MarshalIndent(v, "", "  ")` would, plus a newline.
func (n *node) encode() []byte {
	var b bytes.Buffer
	n.write(&b, 0)
	b.WriteByte('\n')
	return b.Bytes()
}

func (n *node) write(b *bytes.Buffer, depth int) {
	switch n.kind {
	case '{':
		writeSeq(b, "{}", len(n.keys), depth, func(i int) {
			writeScalar(b, n.keys[i])
			b.WriteString(": ")
			n.fields[n.keys[i]].write(b, depth+1)
		})
	case '[':
		writeSeq(b, "[]", len(n.items), depth, func(i int) { n.items[i].write(b, depth+1) })
	default:
		writeScalar(b, n.scalar)
	}
}

// writeSeq writes an object or array of count members at depth, two spaces an indent, each member on
// its own line (written by member); an empty one stays on one line.
func writeSeq(b *bytes.Buffer, brackets string, count, depth int, member func(i int)) {
	indent := func(d int) {
		b.WriteByte('\n')
		for range d {
			b.WriteString("  ")
		}
	}
	if count == 0 {
		b.WriteString(brackets)
		return
	}
	b.WriteByte(brackets[0])
	for i := range count {
		if i > 0 {
			b.WriteByte(',')
		}
		indent(depth + 1)
		member(i)
	}
	indent(depth)
	b.WriteByte(brackets[1])
}

func writeScalar(b *bytes.Buffer, v any) {
	if num, ok := v.(json.Number); ok {
		b.WriteString(num.String())
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // strings, bools and null always encode
	b.Write(bytes.TrimRight(buf.Bytes(), "\n"))
}
