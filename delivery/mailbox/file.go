package mailbox

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// MaxFrontmatter is the largest frontmatter of a draft (docs/protocol.md, "Message file").
const MaxFrontmatter = 64 << 10

// MaxMessageFrontmatter is the largest frontmatter Parse reads. A message file carries a draft's
// frontmatter (up to MaxFrontmatter, and re-encoding may grow it) plus the stamped fields and the
// bounded watcher fields (see KeptAttempts), so it needs room beyond MaxFrontmatter; a message
// courier enqueued must never become unreadable.
const MaxMessageFrontmatter = 2 * MaxFrontmatter

// Frontmatter errors callers branch on.
var (
	ErrNoFrontmatter = errors.New("no frontmatter: the file must start with a line '---'")
	ErrUnclosed      = errors.New("frontmatter is not closed: no line '---' after the opening one")
	ErrTooLarge      = errors.New("frontmatter is larger than 64 KiB")
	ErrNotUTF8       = errors.New("file is not valid UTF-8")

	errMessageTooLarge = tooLargeError{"frontmatter is larger than 128 KiB"}
)

// tooLargeError is ErrTooLarge with the limit of message files in its text.
type tooLargeError struct{ msg string }

func (e tooLargeError) Error() string        { return e.msg }
func (e tooLargeError) Is(target error) bool { return target == ErrTooLarge }

// SplitFrontmatter splits data into the YAML between the opening and closing `---` lines and the body
// after the closing line (byte for byte). The closing delimiter is a line that is exactly `---`
// (optionally with \r); YAML values never produce such a line at column 0 outside a document marker.
// bodyLine is the 1-based line number where the body starts.
func SplitFrontmatter(data []byte) (front, body []byte, bodyLine int, err error) {
	return splitFrontmatter(data, MaxFrontmatter, ErrTooLarge)
}

func splitFrontmatter(data []byte, limit int, errTooLarge error) (front, body []byte, bodyLine int, err error) {
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
			if off > limit {
				return nil, nil, 0, errTooLarge
			}
			if next > len(rest) {
				next = len(rest)
			}
			return rest[:off], rest[next:], line + 1, nil
		}
		if off > limit {
			return nil, nil, 0, errTooLarge
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
	front, body, _, err := splitFrontmatter(data, MaxMessageFrontmatter, errMessageTooLarge)
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
	quoteRisky(&doc)
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

// quoteRisky double-quotes the strings yaml.v3's plain and block styles do not read back unchanged:
// "<<" (read back as a merge key), a leading line break (dropped), whitespace before a line break or at
// either end, and control characters other than a line break (tabs, \r). n was encoded from Go values,
// so its scalars are plain data and quoting never changes their meaning.
func quoteRisky(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && risky(n.Value) {
		n.Style = yaml.DoubleQuotedStyle
	}
	if n.Kind == yaml.ScalarNode && n.Value == "<<" {
		n.Tag, n.Style = "!!str", yaml.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		quoteRisky(c)
	}
}

func risky(v string) bool {
	if v == "" {
		return false
	}
	if strings.HasPrefix(v, "\n") || strings.TrimSpace(v[:1]) == "" || strings.TrimSpace(v[len(v)-1:]) == "" {
		return true
	}
	for i, r := range v {
		if r == '\n' {
			if i > 0 && (v[i-1] == ' ' || v[i-1] == '\t') {
				return true
			}
			continue
		}
		if r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 || r == 0xfeff {
			return true
		}
	}
	return false
}
