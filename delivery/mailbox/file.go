package mailbox

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// MaxFrontmatter is the largest frontmatter courier reads (contract §2).
const MaxFrontmatter = 64 << 10

// Frontmatter errors callers branch on.
var (
	ErrNoFrontmatter = errors.New("no frontmatter: the file must start with a line '---'")
	ErrUnclosed      = errors.New("frontmatter is not closed: no line '---' after the opening one")
	ErrTooLarge      = errors.New("frontmatter is larger than 64 KiB")
	ErrNotUTF8       = errors.New("file is not valid UTF-8")
)

// SplitFrontmatter splits data into the YAML between the opening and closing `---` lines and the body
// after the closing line (byte for byte). The closing delimiter is a line that is exactly `---`
// (optionally with \r); YAML values never produce such a line at column 0 outside a document marker.
// bodyLine is the 1-based line number where the body starts.
func SplitFrontmatter(data []byte) (front, body []byte, bodyLine int, err error) {
	if !utf8.Valid(data) {
		return nil, nil, 0, ErrNotUTF8
	}
	rest, ok := cutLine(data, "---")
	if !ok {
		return nil, nil, 0, ErrNoFrontmatter
	}
	line := 2
	for off := 0; off <= len(rest); {
		end := bytes.IndexByte(rest[off:], '\n')
		var cur []byte
		next := len(rest) + 1
		if end >= 0 {
			cur = rest[off : off+end]
			next = off + end + 1
		} else {
			cur = rest[off:]
		}
		if string(bytes.TrimSuffix(cur, []byte("\r"))) == "---" {
			if off > MaxFrontmatter {
				return nil, nil, 0, ErrTooLarge
			}
			if next > len(rest) {
				next = len(rest)
			}
			return rest[:off], rest[next:], line + 1, nil
		}
		if off > MaxFrontmatter {
			return nil, nil, 0, ErrTooLarge
		}
		off = next
		line++
	}
	return nil, nil, 0, ErrUnclosed
}

// cutLine removes a first line equal to want (with \n or \r\n) from data.
func cutLine(data []byte, want string) ([]byte, bool) {
	for _, nl := range []string{"\n", "\r\n"} {
		if bytes.HasPrefix(data, []byte(want+nl)) {
			return data[len(want)+len(nl):], true
		}
	}
	return nil, false
}

// Parse reads a message file. Unknown frontmatter keys are an error: nothing but courier writes
// message files, so an unknown key means the file was not written by this courier.
func Parse(data []byte) (*Message, error) {
	front, body, _, err := SplitFrontmatter(data)
	if err != nil {
		return nil, err
	}
	var m Message
	dec := yaml.NewDecoder(bytes.NewReader(front))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("frontmatter: %w", err)
	}
	m.Body = string(body)
	return &m, nil
}

// Marshal writes m as a message file: `---`, the frontmatter in canonical field order, `---`, the body.
func Marshal(m *Message) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("---\n")
	var doc yaml.Node
	if err := doc.Encode(m); err != nil {
		return nil, fmt.Errorf("encode frontmatter: %w", err)
	}
	quoteMergeKeys(&doc)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("encode frontmatter: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode frontmatter: %w", err)
	}
	buf.WriteString("---\n")
	buf.WriteString(m.Body)
	return buf.Bytes(), nil
}

// quoteMergeKeys quotes every "<<" in n, which was encoded from Go values and so holds only strings:
// yaml.v3 writes the string "<<" as a plain merge key, which reads back as a merge (or an error).
func quoteMergeKeys(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.Value == "<<" {
		n.Tag, n.Style = "!!str", yaml.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		quoteMergeKeys(c)
	}
}
