package mailbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzParse checks that whatever Parse accepts can be written again, and that a message courier can
// seal survives Marshal → Parse: the body byte for byte, every field (timestamps at the millisecond
// precision courier writes), the seal value and sum, and that a second Marshal writes the same bytes.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"---\nid: a\n---\nbody\n",
		"---\r\nid: a\r\nto: [x]\r\n---\r\nbody\r\n",
		"---\nid: a\nsubject: '---'\nmetadata:\n  note: |\n    x\n    ---\n    y\n---\n---\nbody\n",
		"---\nid: a\ncreated_at: 2026-02-07T23:02:32.123456+08:00\nnext_retry_at: null\n---\n",
		"---\nid: a\nmetadata: {a: 1.0, b: [1, two, {c: null}], d: 2026-01-01T00:00:00Z}\n---\n",
		"---\nid: a\nattempts: [{at: 2026-02-07T15:02:32Z, outcome: sent}]\nerror_message: x\n---\n",
		"---\nid: a\n---",
		"---\nid: a\nmetadata: {'<<': 1}\n---\n",
		"---\nid: a\nmetadata: {a: {1: x, '1': y}, n: .nan, i: -.inf}\n---\n",
		"---\nid: a\nsubject: !!binary /w==\n---\n",
		"---\nid: a\nmetadata: &m {x: 1}\nsource: {item: *m}\n---\n",
	} {
		f.Add([]byte(seed))
	}
	m := sampleMessage("out_slack_0123456789ab")
	data, err := Marshal(withWatcherFields(m))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)

	sealer := &Sealer{key: []byte("fuzz-key-0123456789abcdef")}
	f.Fuzz(func(t *testing.T, data []byte) {
		m1, err := Parse(data)
		if err != nil {
			return
		}
		b1, err := Marshal(m1)
		if err != nil {
			t.Fatalf("Marshal of a parsed message: %v", err)
		}
		if sealer.Sum(m1) == "" {
			// Metadata with no JSON form (NaN, non-string keys): courier refuses to enqueue such a
			// message, and yaml.v3 may not read back what it writes for non-string keys (1.0 and '1'
			// both become key 1), so only the file form is checked.
			return
		}
		m2, err := Parse(b1)
		if errors.Is(err, ErrTooLarge) {
			return // re-serialising may grow a frontmatter that was near the limit
		}
		if err != nil {
			t.Fatalf("Parse of Marshal output: %v\ninput:\n%q\nmarshalled:\n%q", err, data, b1)
		}
		if m2.Body != m1.Body {
			t.Fatalf("body changed: %q → %q", m1.Body, m2.Body)
		}
		if m2.Seal != m1.Seal {
			t.Fatalf("seal changed: %q → %q", m1.Seal, m2.Seal)
		}
		if c1, c2 := canonJSON(m1), canonJSON(m2); c1 != c2 {
			t.Fatalf("fields changed\nbefore %s\nafter  %s\ninput %q", c1, c2, data)
		}
		if s1, s2 := sealer.Sum(m1), sealer.Sum(m2); s1 != s2 {
			t.Fatalf("re-serialising changed the seal sum\ninput %q\nmarshalled %q", data, b1)
		}
		b2, err := Marshal(m2)
		if err != nil {
			t.Fatalf("second Marshal: %v", err)
		}
		if !bytes.Equal(b1, b2) {
			t.Fatalf("Marshal is not a fixed point\nfirst  %q\nsecond %q", b1, b2)
		}
	})
}

// canonJSON is m's fields as JSON, the equality the seal and the API see: timestamps at millisecond
// precision, empty and absent lists alike for optional fields, numbers by value. A message whose
// metadata JSON cannot encode compares by its file form instead.
func canonJSON(m *Message) string {
	v := *m
	if len(v.To) == 0 {
		v.To = nil
	}
	b, err := json.Marshal(&v)
	if err != nil {
		d, _ := Marshal(&v)
		return "unencodable: " + string(d)
	}
	return string(b)
}
