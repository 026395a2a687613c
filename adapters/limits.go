package adapters

import (
	"errors"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// LimitError is a provider limit a message exceeds, found by a Check before enqueue. Field is the
// draft field at fault ("body" for a card body); Line, when not 0, is the 1-based line of the body
// where the offending value starts, so that `courier validate` can point at it.
type LimitError struct {
	Field string
	Msg   string
	Line  int
}

func (e *LimitError) Error() string { return e.Field + ": " + e.Msg }

// BodyLine is the 1-based line of the body the error is about, or 0.
func (e *LimitError) BodyLine() int { return e.Line }

// Limits collects the LimitErrors of one message.
type Limits struct{ errs []error }

// Add records a problem with the body value at path (see BodyNode), or with the body as a whole
// when body or path is nil.
func (l *Limits) Add(body *yaml.Node, path string, msg string) {
	line := 0
	if n := NodeAt(body, path); n != nil {
		line = n.Line
	}
	where := path
	if where != "" {
		where += ": "
	}
	l.errs = append(l.errs, &LimitError{Field: "body", Msg: where + msg, Line: line})
}

// AddField records a problem with a draft field other than the body.
func (l *Limits) AddField(field, msg string) {
	l.errs = append(l.errs, &LimitError{Field: field, Msg: msg})
}

// Err joins the problems (errors.Join), or is nil.
func (l *Limits) Err() error { return errors.Join(l.errs...) }

// BodyNode parses a card body (JSON or YAML) for the line numbers of its values; nil when it does
// not parse (the card check reports that).
func BodyNode(body string) *yaml.Node {
	var n yaml.Node
	if yaml.Unmarshal([]byte(body), &n) != nil || len(n.Content) != 1 {
		return nil
	}
	return n.Content[0]
}

// NodeAt follows a path such as "blocks[3].text" from n; nil when a step is missing.
func NodeAt(n *yaml.Node, path string) *yaml.Node {
	if n == nil || path == "" {
		return n
	}
	for _, step := range strings.Split(strings.ReplaceAll(path, "[", ".["), ".") {
		if step == "" {
			continue
		}
		for n != nil && n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if n == nil {
			return nil
		}
		if strings.HasPrefix(step, "[") {
			i, err := strconv.Atoi(strings.Trim(step, "[]"))
			if err != nil || n.Kind != yaml.SequenceNode || i < 0 || i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
			continue
		}
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == step {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}
