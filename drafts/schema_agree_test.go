package drafts

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xeipuuv/gojsonschema"
	"gopkg.in/yaml.v3"
)

// schemaCorpus are frontmatters on which the Go validator and the JSON Schema alone must agree:
// every semantic rule the schema cannot express (configured provider, email addresses, timestamps,
// provider limits) is satisfied, so only what the schema describes decides. valid is the expected
// answer of both.
var schemaCorpus = []struct {
	name  string
	front string
	valid bool
}{
	{"minimal", "provider: file\nto: x", true},
	{"full", "provider: email\nto: [a@example.com]\ncc: b@example.com\nbcc: [c@example.com]\nsubject: s\ncontent_type: markdown\n" +
		"reply_to: r\nthread_key: k\nthread_root: t\nsession: {id: s, type: group, name: n, thread_key: k}\n" +
		"participants: {from: {id: bot}, to: [{email: a@example.com}]}\nmentions: [{type: user, target: u, name: n, offset: 0}]\n" +
		"correlation_id: c\noptions: {silent: true, urgent: false, schedule_at: 2026-03-01T09:30:00+08:00}\nmetadata: {a: 1}", true},

	// null is absent, for every optional field
	{"subject empty", "provider: file\nto: x\nsubject:", true},
	{"subject null", "provider: file\nto: x\nsubject: null", true},
	{"subject tilde", "provider: file\nto: x\nsubject: ~", true},
	{"cc null", "provider: email\nto: a@example.com\ncc: null\nbcc:", true},
	{"cc null on IM", "provider: dingtalk\nto: ops\ncc: null", true},
	{"content_type null", "provider: file\nto: x\ncontent_type: null\ntype: ~", true},
	{"reply_to thread null", "provider: file\nto: x\nreply_to:\nthread_key:\nthread_root:\ncorrelation_id:", true},
	{"options silent null", "provider: file\nto: x\noptions: {silent: null}", true},
	{"options all null", "provider: file\nto: x\noptions: {silent: null, urgent: null, schedule_at: null}", true},
	{"options null", "provider: file\nto: x\noptions:", true},
	{"session fields null", "provider: file\nto: x\nsession: {id: null, type: null, name: null, thread_key: null}", true},
	{"session null", "provider: file\nto: x\nsession: null", true},
	{"participants null", "provider: file\nto: x\nparticipants: null", true},
	{"participants parts null", "provider: file\nto: x\nparticipants: {from: null, to: null, cc: null, bcc: null, mentions: null}", true},
	{"participant fields null", "provider: file\nto: x\nparticipants: {from: {id: b, name: null, email: null, platform_id: null, role: null, avatar: null}}", true},
	{"mentions null", "provider: file\nto: x\nmentions: null", true},
	{"mention fields null", "provider: file\nto: x\nmentions: [{type: all, target: null, name: null, offset: null}]", true},
	{"metadata null", "provider: file\nto: x\nmetadata: null", true},
	{"metadata values null", "provider: file\nto: x\nmetadata: {a: null, b: [null]}", true},

	// required fields
	{"no provider", "to: x", false},
	{"no to", "provider: file", false},
	{"empty", "", false},
	{"provider null", "provider: null\nto: x", false},
	{"provider empty", "provider:\nto: x", false},
	{"to null", "provider: file\nto: ~", false},
	{"mention type missing", "provider: file\nto: x\nmentions: [{target: u}]", false},
	{"mention type null", "provider: file\nto: x\nmentions: [{type: null}]", false},

	// unknown fields
	{"unknown top", "provider: file\nto: x\nsubjet: s", false},
	{"unknown null", "provider: file\nto: x\nsubjet:", false},
	{"unknown in options", "provider: file\nto: x\noptions: {later: true}", false},
	{"unknown in session", "provider: file\nto: x\nsession: {kind: x}", false},
	{"unknown in participant", "provider: file\nto: x\nparticipants: {from: {nick: x}}", false},
	{"unknown in participants", "provider: file\nto: x\nparticipants: {reply: []}", false},
	{"unknown in mention", "provider: file\nto: x\nmentions: [{type: all, who: x}]", false},

	// wrong types and values
	{"provider number", "provider: 5\nto: x", false},
	{"to number", "provider: file\nto: 5", false},
	{"to mapping", "provider: file\nto: {a: b}", false},
	{"to empty list", "provider: file\nto: []", false},
	{"to empty string", "provider: file\nto: ''", false},
	{"to null item", "provider: file\nto: [x, null]", false},
	{"to number item", "provider: file\nto: [x, 5]", false},
	{"cc empty list", "provider: email\nto: a@example.com\ncc: []", false},
	{"subject number", "provider: file\nto: x\nsubject: 5", false},
	{"subject list", "provider: file\nto: x\nsubject: [a]", false},
	{"subject bool", "provider: file\nto: x\nsubject: true", false},
	{"content_type unknown", "provider: file\nto: x\ncontent_type: markdwn", false},
	{"type unknown", "provider: file\nto: x\ntype: rich", false},
	{"correlation_id empty", "provider: file\nto: x\ncorrelation_id: ''", false},
	{"session type unknown", "provider: file\nto: x\nsession: {type: dm}", false},
	{"session string", "provider: file\nto: x\nsession: s1", false},
	{"participants list", "provider: file\nto: x\nparticipants: [a]", false},
	{"participant null item", "provider: file\nto: x\nparticipants: {to: [null]}", false},
	{"participant string", "provider: file\nto: x\nparticipants: {from: bot}", false},
	{"mentions mapping", "provider: file\nto: x\nmentions: {type: all}", false},
	{"mention null item", "provider: file\nto: x\nmentions: [null]", false},
	{"mention offset negative", "provider: file\nto: x\nmentions: [{type: all, offset: -1}]", false},
	{"mention offset float", "provider: file\nto: x\nmentions: [{type: all, offset: 1.5}]", false},
	{"mention type unknown", "provider: file\nto: x\nmentions: [{type: everyone}]", false},
	{"options silent string", "provider: file\nto: x\noptions: {silent: 'yes'}", false},
	{"options list", "provider: file\nto: x\noptions: [silent]", false},
	{"schedule_at number", "provider: file\nto: x\noptions: {schedule_at: 5}", false},
	{"metadata list", "provider: file\nto: x\nmetadata: [1]", false},
	{"metadata string", "provider: file\nto: x\nmetadata: x", false},
}

// frontmatterJSON is the frontmatter as JSON, read by yaml.v3 alone (no courier rules).
func frontmatterJSON(t *testing.T, front string) []byte {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(front), &v); err != nil {
		t.Fatalf("YAML %q: %v", front, err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("JSON of %q: %v", front, err)
	}
	return b
}

// TestValidatorAgreesWithSchema runs each corpus draft through the Go validator and through the
// embedded JSON Schema alone (what `courier schema` prints, as any other JSON Schema tool would use
// it): both must give the expected answer.
func TestValidatorAgreesWithSchema(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	schema, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(Schema()))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range schemaCorpus {
		t.Run(c.name, func(t *testing.T) {
			_, errs := v.Parse(input("d.md", "---\n"+c.front+"\n---\nbody\n"))
			if got := len(errs) == 0; got != c.valid {
				t.Errorf("validator: valid = %v, want %v (%v)", got, c.valid, errs)
			}
			res, err := schema.Validate(gojsonschema.NewBytesLoader(frontmatterJSON(t, c.front)))
			if err != nil {
				t.Fatal(err)
			}
			if res.Valid() != c.valid {
				t.Errorf("schema: valid = %v, want %v (%v)", res.Valid(), c.valid, res.Errors())
			}
		})
	}
}

// TestSemanticRulesBeyondSchema documents the other direction: these drafts satisfy the schema and
// fail only a semantic rule the schema states in words.
func TestSemanticRulesBeyondSchema(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	schema, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(Schema()))
	if err != nil {
		t.Fatal(err)
	}
	for _, front := range []string{
		"provider: slak\nto: x",
		"provider: email\nto: not-an-address",
		"provider: file\nto: x\noptions: {schedule_at: soon}",
		"provider: dingtalk\nto: ops\ncc: a@example.com",
	} {
		if _, errs := v.Parse(input("d.md", "---\n"+front+"\n---\nbody\n")); len(errs) == 0 {
			t.Errorf("validator accepts %q", front)
		}
		res, err := schema.Validate(gojsonschema.NewBytesLoader(frontmatterJSON(t, front)))
		if err != nil || !res.Valid() {
			t.Errorf("schema rejects %q: %v %v", front, err, res.Errors())
		}
	}
}

// TestSchemaAgreesWithPythonJSONSchema checks the same corpus with python's jsonschema (the tool the
// disagreement was first seen with), when it is installed.
func TestSchemaAgreesWithPythonJSONSchema(t *testing.T) {
	t.Parallel()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: cross-check with python jsonschema skipped")
	}
	dir := t.TempDir()
	schemaPath := filepath.Join(dir, "draft.schema.json")
	if err := os.WriteFile(schemaPath, Schema(), 0o600); err != nil {
		t.Fatal(err)
	}
	var docs []json.RawMessage
	for _, c := range schemaCorpus {
		docs = append(docs, frontmatterJSON(t, c.front))
	}
	corpus, err := json.Marshal(docs)
	if err != nil {
		t.Fatal(err)
	}
	// One python process: importing jsonschema is most of its cost. Without the module it exits 3
	// before reading anything, and the test is skipped as before.
	const script = `import json, sys
try:
    import jsonschema
except ImportError:
    sys.exit(3)
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
v = jsonschema.Draft7Validator(schema)
for doc in json.load(sys.stdin):
    print("valid" if v.is_valid(doc) else "invalid")
`
	cmd := exec.Command(py, "-c", script, schemaPath)
	cmd.Stdin = bytes.NewReader(corpus)
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 3 {
		t.Skip("python3 has no jsonschema module (pip install jsonschema): cross-check skipped")
	}
	if err != nil {
		t.Fatalf("python jsonschema: %v", err)
	}
	got := strings.Fields(string(out))
	if len(got) != len(schemaCorpus) {
		t.Fatalf("python printed %d answers for %d drafts: %s", len(got), len(schemaCorpus), out)
	}
	for i, c := range schemaCorpus {
		if (got[i] == "valid") != c.valid {
			t.Errorf("%s: python jsonschema says %s, want valid = %v", c.name, got[i], c.valid)
		}
	}
}
