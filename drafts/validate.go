package drafts

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/xeipuuv/gojsonschema"
	"gopkg.in/yaml.v3"

	"github.com/monoco/courier/delivery/mailbox"
)

//go:embed draft.schema.json
var schemaJSON []byte

// Schema returns the draft JSON Schema (draft-07) that every draft's frontmatter is checked against
// (`courier schema` prints it).
func Schema() []byte { return bytes.Clone(schemaJSON) }

// KnownProviders returns the adapter names a draft's provider may be (docs/providers.md).
func KnownProviders() []string {
	return []string{"dingtalk", "lark", "wecom", "slack", "teams", "email", "webhook", "file"}
}

// ProviderInfo is what validation needs to know about one configured provider.
type ProviderInfo struct {
	Channels []string // configured channel aliases usable in `to`
	Fanout   bool     // a webhook-robot provider: several channel aliases in `to` fan out, one message each
}

// Config is the validation configuration cmd/courier composes from `.monoco/courier.yaml` and the
// adapters.
type Config struct {
	// Patterns map branches and paths to work items; nil means DefaultPatterns.
	Patterns []Pattern
	// Providers are the configured providers by name; "file" is available even when absent.
	Providers map[string]ProviderInfo
	// Checks are per-provider checks run on the normalized message after every other rule (the
	// adapters' Check). A check's error text is "field: message"; the text before the first ": " is
	// taken as the field when it looks like one.
	Checks map[string]func(*mailbox.Message) error
}

// Validator parses and validates drafts. It is safe for concurrent use.
type Validator struct {
	cfg    Config
	schema *gojsonschema.Schema
}

// NewValidator compiles the embedded schema once for all drafts.
func NewValidator(cfg Config) (*Validator, error) {
	s, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(schemaJSON))
	if err != nil {
		return nil, fmt.Errorf("compile draft schema: %w", err)
	}
	if cfg.Patterns == nil {
		cfg.Patterns = DefaultPatterns()
	}
	cfg.Checks = withPlaceholders(cfg.Checks) // an unedited `courier draft new` template (README.md, "Drafts")
	return &Validator{cfg: cfg, schema: s}, nil
}

// Draft is a valid draft and the message it becomes (normalized: to/cc/bcc are lists, content_type is
// set, schedule_at is UTC; not yet stamped).
type Draft struct {
	Input
	Msg *mailbox.Message
}

// Parse validates one draft: frontmatter split, YAML, the JSON Schema, the semantic rules and the
// provider's check. It returns the draft, or every problem found (at most MaxErrorsPerDraft): a
// problem in one field does not hide one in another, so a typo in a field name is reported together
// with a bad content_type or an unknown provider.
func (v *Validator) Parse(in Input) (*Draft, ValidationErrors) { return v.ParseAs(in, "") }

// ParseAs is Parse with the draft's provider replaced by provider when it is not "" (`courier send
// --provider`); the draft may then omit its own.
func (v *Validator) ParseAs(in Input, provider string) (*Draft, ValidationErrors) {
	in.blob()
	var errs errorList
	// A UTF-8 byte order mark (some Windows editors write one) is not content: the frontmatter
	// starts after it. The blob id stays that of the file as it is.
	front, body, bodyLine, err := mailbox.SplitFrontmatter(bytes.TrimPrefix(in.Content, utf8BOM))
	if err != nil {
		line := 1
		switch {
		case errors.Is(err, mailbox.ErrNotUTF8):
			line = badUTF8Line(in.Content)
			errs.add(lineField(in.Content, line), line, "draft is not valid UTF-8")
		case errors.Is(err, mailbox.ErrTooLarge):
			errs.add("frontmatter", line, "frontmatter is larger than 64 KiB")
		case errors.Is(err, mailbox.ErrUnclosed):
			errs.add("frontmatter", line, "frontmatter is not closed: no line '---' after the opening one")
		case errors.Is(err, mailbox.ErrNoFrontmatter):
			errs.add("frontmatter", line, "no frontmatter: a draft starts with a line '---'")
		default:
			errs.add("frontmatter", line, err.Error())
		}
		return nil, errs.finish(in.Path)
	}
	closeLine := bodyLine - 1
	bodyOK := len(body) <= MaxBody
	if !bodyOK {
		errs.add("body", bodyLine, fmt.Sprintf("body is %d bytes; the limit is 1 MiB (%d bytes)", len(body), MaxBody))
		body = nil // the frontmatter is still checked; the body is not looked at again
	}
	doc, lines, meta, derrs := v.decode(front, provider)
	errs = append(errs, derrs...)
	if doc == nil { // the YAML itself is broken: nothing more can be read
		return nil, errs.finish(in.Path)
	}
	errs.merge(v.checkSchema(doc, lines, closeLine))
	// The semantic rules look at the fields the schema and the YAML accepted; the others are
	// reported already.
	sem := semantic{cfg: &v.cfg, doc: prune(doc, errs), lines: lines, closeLine: closeLine, body: body,
		bodyLine: bodyLine, meta: meta, bodyTooLarge: !bodyOK}
	m := sem.message()
	if m != nil {
		sem.storable(m)
	}
	errs.merge(sem.errs)
	// The provider's own limits need a provider and a content type to judge by.
	if m != nil && bodyOK && m.Provider != "" && !errs.covers("provider") && !errs.covers("content_type") && !errs.covers("type") {
		if check := v.cfg.Checks[m.Provider]; check != nil {
			var cerrs errorList
			for _, err := range splitErrors(check(m)) {
				field, msg := splitCheck(err.Error())
				line := lines[field]
				if field == "body" || strings.HasPrefix(field, "body.") || strings.HasPrefix(field, "body[") {
					line = bodyLine
					// A check that knows where in the body the problem is says so (adapters.LimitError).
					var at interface{ BodyLine() int }
					if errors.As(err, &at) && at.BodyLine() > 0 {
						line = bodyLine + at.BodyLine() - 1
					}
				}
				cerrs.add(field, line, msg)
			}
			errs.merge(cerrs)
		}
	}
	if len(errs) > 0 {
		return nil, errs.finish(in.Path)
	}
	return &Draft{Input: in, Msg: m}, nil
}

// splitErrors lists the errors err joins (errors.Join), or err alone.
func splitErrors(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, splitErrors(e)...)
		}
		return out
	}
	return []error{err}
}

// prune returns a copy of doc without the top-level fields that errs already reports on.
func prune(doc map[string]any, errs errorList) map[string]any {
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		if !errs.touches(k) {
			out[k] = v
		}
	}
	return out
}

var utf8BOM = []byte("\ufeff")

var yamlLineRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })

// decode parses the frontmatter YAML into plain values, applying the provider override. It also
// returns the metadata mapping as written (nil when there is none).
func (v *Validator) decode(front []byte, provider string) (map[string]any, map[string]int, *yaml.Node, errorList) {
	d := &yamlDoc{lineOffset: 1, lines: map[string]int{}}
	dec := yaml.NewDecoder(bytes.NewReader(front))
	var root yaml.Node
	err := dec.Decode(&root)
	if err != nil && !errors.Is(err, io.EOF) {
		msg, line := err.Error(), 1
		if m := yamlLineRe().FindStringSubmatch(msg); m != nil {
			n, _ := strconv.Atoi(m[1])
			line, msg = n+d.lineOffset, m[2]
			if strings.HasPrefix(msg, "did not find expected") {
				line++ // yaml.v3 reports these parser errors at a 0-based line
			}
		}
		d.errs.add("frontmatter", line, "invalid YAML: "+strings.TrimPrefix(msg, "yaml: "))
		return nil, nil, nil, d.errs
	}
	var extra yaml.Node
	if err == nil {
		if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
			d.errs.add("frontmatter", extra.Line+d.lineOffset, "the frontmatter must be one YAML document")
			return nil, nil, nil, d.errs
		}
	}
	doc := map[string]any{}
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		n := root.Content[0]
		switch {
		case n.Kind == yaml.MappingNode || n.Kind == yaml.AliasNode || n.Anchor != "":
			m, ok := d.convert(n, "", shapeTop, shapeNone).(map[string]any)
			if !ok {
				return nil, nil, nil, d.errs
			}
			doc = m
		case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		default:
			d.errs.add("frontmatter", n.Line+d.lineOffset, "the frontmatter must be a mapping of fields (provider: …, to: …)")
			return nil, nil, nil, d.errs
		}
	}
	nulls := map[string]bool{}
	dropNulls(doc, "", nulls)
	for _, f := range []string{"provider", "to"} {
		if nulls[f] && (f != "provider" || provider == "") {
			d.errs.add(f, d.lines[f], "must not be empty")
		}
	}
	if provider != "" {
		doc["provider"] = provider
	}
	return doc, d.lines, d.metadata, d.errs
}

// checkSchema validates doc against the embedded schema and translates the failures.
func (v *Validator) checkSchema(doc map[string]any, lines map[string]int, closeLine int) errorList {
	res, err := v.schema.Validate(gojsonschema.NewGoLoader(doc))
	var errs errorList
	if err != nil {
		errs.add("frontmatter", 1, "cannot check the frontmatter: "+err.Error())
		return errs
	}
	if res.Valid() {
		return nil
	}
	byField := map[string]bool{}
	for _, re := range res.Errors() {
		field := schemaField(re.Field())
		line := lines[field]
		msg := re.Description()
		switch re.Type() {
		case "required":
			prop, _ := re.Details()["property"].(string)
			if field == "" {
				line = closeLine
			}
			field = joinPath(field, prop)
			msg = "required field is missing"
		case "additional_property_not_allowed":
			prop, _ := re.Details()["property"].(string)
			field = joinPath(field, prop)
			line = lines[field]
			msg = "unknown field"
		case "invalid_type":
			msg = "must be " + shapeOf(field, re.Details()["expected"]) + ", not " + article(fmt.Sprint(re.Details()["given"]))
		case "enum":
			allowed := strings.ReplaceAll(fmt.Sprint(re.Details()["allowed"]), `"`, "")
			allowed = strings.TrimSuffix(allowed, ", null") // null is allowed, as absent; not worth listing
			msg = fmt.Sprintf("%s is not one of %s", quoteValue(re.Value()), allowed)
			if s, ok := re.Value().(string); ok {
				if sug := Suggest(s, strings.Split(allowed, ", ")); sug != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", sug)
				}
			}
		case "string_gte":
			msg = "must not be empty"
		case "array_min_items":
			msg = "must not be an empty list"
		}
		if byField[field] {
			continue
		}
		byField[field] = true
		errs.add(field, line, msg)
	}
	return errs
}

// schemaField turns gojsonschema's "(root).mentions.0.type" into "mentions[0].type".
func schemaField(f string) string {
	f = strings.TrimPrefix(strings.TrimPrefix(f, "(root)"), ".")
	if f == "" {
		return ""
	}
	parts := strings.Split(f, ".")
	var b strings.Builder
	for i, p := range parts {
		if _, err := strconv.Atoi(p); err == nil && i > 0 {
			b.WriteString("[" + p + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

func shapeOf(field string, expected any) string {
	switch field {
	case "to", "cc", "bcc":
		return "a string or a list of strings"
	}
	// gojsonschema writes one type as "string", several as "[string,null]". null is left out: a
	// null optional field never reaches the schema check (it counts as absent).
	var parts []string
	for _, p := range strings.Split(strings.Trim(fmt.Sprint(expected), "[]"), ",") {
		if p = strings.TrimSpace(p); p != "null" && p != "" {
			parts = append(parts, article(p))
		}
	}
	return strings.Join(parts, " or ")
}

func article(jsonType string) string {
	switch jsonType {
	case "object":
		return "a mapping"
	case "array":
		return "a list"
	case "string":
		return "a string"
	case "integer":
		return "an integer"
	case "number":
		return "a number"
	case "boolean":
		return "true or false"
	case "null":
		return "empty"
	}
	return jsonType
}

func quoteValue(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

var checkFieldRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.\[\]]*$`) })

// splitCheck splits a provider check's "field: message" text.
func splitCheck(s string) (field, msg string) {
	if f, m, ok := strings.Cut(s, ": "); ok && checkFieldRe().MatchString(f) {
		return f, m
	}
	return "", s
}

// badUTF8Line is the line of the first byte that is not UTF-8.
func badUTF8Line(b []byte) int {
	line := 1
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		b = b[n:]
	}
	return line
}

var topKeyRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)[ \t]*:`) })

// lineField names what line n of a draft holds: "body" past the frontmatter's closing `---`, the
// field a top-level `key:` line sets, else "frontmatter".
func lineField(b []byte, n int) string {
	lines := bytes.SplitAfter(b, []byte("\n"))
	if n < 1 || n > len(lines) {
		return "frontmatter"
	}
	for i := 1; i < n-1 && i < len(lines); i++ {
		if string(bytes.TrimRight(lines[i], "\r\n")) == "---" {
			return "body"
		}
	}
	if m := topKeyRe().FindSubmatch(lines[n-1]); m != nil && n > 1 {
		return string(m[1])
	}
	return "frontmatter"
}
