package drafts

import (
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// shape names the kind of object a frontmatter node must be, for the unknown-field check. The field
// lists mirror draft.schema.json (a test keeps them in step).
type shape string

const (
	shapeNone         shape = ""
	shapeTop          shape = "draft"
	shapeSession      shape = "session"
	shapeParticipants shape = "participants"
	shapeParticipant  shape = "participant"
	shapeMention      shape = "mention"
	shapeOptions      shape = "options"
	shapeFree         shape = "metadata" // anything goes, nulls kept
)

// fields lists the keys a mapping of shape s may have (nil: any key).
func (s shape) fields() []string {
	switch s {
	case shapeTop:
		return []string{"provider", "to", "cc", "bcc", "subject", "content_type", "type", "reply_to", "thread_key",
			"thread_root", "session", "participants", "mentions", "correlation_id", "options", "metadata"}
	case shapeSession:
		return []string{"id", "type", "name", "thread_key"}
	case shapeParticipants:
		return []string{"from", "to", "cc", "bcc", "mentions"}
	case shapeParticipant:
		return []string{"id", "name", "email", "platform_id", "role", "avatar"}
	case shapeMention:
		return []string{"type", "target", "name", "offset"}
	case shapeOptions:
		return []string{"silent", "urgent", "schedule_at"}
	}
	return nil
}

// child returns the shape of the value under key, and of the items when that value is a list.
func (s shape) child(key string) (value, items shape) {
	switch s {
	case shapeTop:
		switch key {
		case "session":
			return shapeSession, shapeNone
		case "participants":
			return shapeParticipants, shapeNone
		case "mentions":
			return shapeNone, shapeMention
		case "options":
			return shapeOptions, shapeNone
		case "metadata":
			return shapeFree, shapeNone
		}
	case shapeParticipants:
		if key == "from" {
			return shapeParticipant, shapeNone
		}
		return shapeNone, shapeParticipant
	case shapeFree:
		return shapeFree, shapeFree
	}
	return shapeNone, shapeNone
}

// yamlDoc is frontmatter converted to JSON-compatible values (map[string]any, []any, string, bool,
// numbers, nil), with the file line of every field and list item.
type yamlDoc struct {
	lineOffset int            // file line of the frontmatter's first line, minus one
	lines      map[string]int // field path ("options.schedule_at", "to[1]") → file line
	errs       errorList
	aliased    bool       // an anchor or alias was reported; one such error is enough
	metadata   *yaml.Node // the top-level metadata mapping as written, carried to the message as is
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// convert turns n into plain values. Anchors, aliases, merge keys, custom tags, duplicate keys,
// non-scalar keys and unknown fields of known objects are errors. Aliases are rejected before they
// are ever expanded, so an alias bomb costs no more than its text.
func (d *yamlDoc) convert(n *yaml.Node, p string, s, items shape) any {
	line := n.Line + d.lineOffset
	where := p
	if where == "" {
		where = "frontmatter"
	}
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		if !d.aliased {
			d.aliased = true
			d.errs.add(where, line, "YAML anchors (&name) and aliases (*name) are not allowed in a draft")
		}
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		return d.mapping(n, p, s)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			ip := p + "[" + strconv.Itoa(i) + "]"
			d.lines[ip] = c.Line + d.lineOffset
			sub := shapeNone
			if items == shapeFree {
				sub = shapeFree
			}
			out = append(out, d.convert(c, ip, items, sub))
		}
		return out
	case yaml.ScalarNode:
		return d.scalar(n, where, line)
	}
	d.errs.add(where, line, "unsupported YAML node")
	return nil
}

func (d *yamlDoc) mapping(n *yaml.Node, p string, s shape) map[string]any {
	out := make(map[string]any, len(n.Content)/2)
	known := s.fields()
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kline := k.Line + d.lineOffset
		if k.Kind != yaml.ScalarNode || k.Anchor != "" {
			d.errs.add(joinPath(p, "?"), kline, "field names must be plain strings")
			continue
		}
		if k.ShortTag() == "!!merge" {
			d.errs.add(joinPath(p, "<<"), kline, "YAML merge keys (<<) are not allowed in a draft")
			continue
		}
		key := k.Value
		kp := joinPath(p, key)
		if _, dup := out[key]; dup {
			d.errs.add(kp, kline, "field is given more than once")
			continue
		}
		d.lines[kp] = kline
		if known != nil && !contains(known, key) {
			msg := "unknown field"
			if s != shapeTop {
				msg = "unknown field in " + string(s)
			}
			if sug := Suggest(key, known); sug != "" {
				msg += " (did you mean \"" + sug + "\"?)"
			}
			d.errs.add(kp, kline, msg)
			continue
		}
		vs, is := s.child(key)
		if s == shapeTop && key == "metadata" && v.Kind == yaml.MappingNode {
			d.metadata = v
		}
		if s != shapeFree && v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" && v.Anchor == "" {
			out[key] = nullValue{}
			continue
		}
		out[key] = d.convert(v, kp, vs, is)
	}
	return out
}

// nullValue marks a field written with no value (`cc:`); it counts as absent, except that a required
// field so written is reported as empty.
type nullValue struct{}

func (d *yamlDoc) scalar(n *yaml.Node, where string, line int) any {
	switch n.ShortTag() {
	case "!!str", "!!timestamp", "!!binary":
		return n.Value
	case "!!null":
		return nil
	case "!!bool", "!!int", "!!float":
		var v any
		if err := n.Decode(&v); err != nil {
			d.errs.add(where, line, "cannot read "+strconv.Quote(n.Value))
			return nil
		}
		if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			d.errs.add(where, line, "must be a finite number")
			return nil
		}
		return v
	}
	d.errs.add(where, line, "YAML tag "+n.Tag+" is not allowed in a draft")
	return nil
}

// dropNulls removes nullValue markers from the known objects of v, returning the field paths that
// were null.
func dropNulls(v any, p string, nulls map[string]bool) {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			if _, ok := c.(nullValue); ok {
				delete(t, k)
				nulls[joinPath(p, k)] = true
				continue
			}
			if k != "metadata" || p != "" {
				dropNulls(c, joinPath(p, k), nulls)
			}
		}
	case []any:
		for i, c := range t {
			dropNulls(c, p+"["+strconv.Itoa(i)+"]", nulls)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Suggest returns the candidate closest to s when it is close enough to be a likely typo
// (Levenshtein distance ≤ 2, ignoring case, `-` and `_`), or "".
func Suggest(s string, candidates []string) string {
	norm := func(x string) string {
		return strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(x))
	}
	best, bestD := "", 3
	for _, c := range candidates {
		d := levenshtein(strings.ToLower(s), strings.ToLower(c))
		if norm(s) == norm(c) {
			d = 0
		}
		if d < bestD && d < len(c) {
			best, bestD = c, d
		}
	}
	return best
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
