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

// KnownProviders returns the adapter names of contract §2.
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
// provider's check. It returns the draft, or at most MaxErrorsPerDraft errors.
func (v *Validator) Parse(in Input) (*Draft, []*ValidationError) { return v.ParseAs(in, "") }

// ParseAs is Parse with the draft's provider replaced by provider when it is not "" (`courier send
// --provider`); the draft may then omit its own.
func (v *Validator) ParseAs(in Input, provider string) (*Draft, []*ValidationError) {
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
	if len(body) > MaxBody {
		errs.add("body", bodyLine, fmt.Sprintf("body is %d bytes; the limit is 1 MiB (%d bytes)", len(body), MaxBody))
		return nil, errs.finish(in.Path)
	}
	doc, lines, errs := v.decode(front, provider)
	if len(errs) > 0 {
		return nil, errs.finish(in.Path)
	}
	if errs = v.checkSchema(doc, lines, closeLine); len(errs) > 0 {
		return nil, errs.finish(in.Path)
	}
	sem := semantic{cfg: &v.cfg, doc: doc, lines: lines, closeLine: closeLine, body: body, bodyLine: bodyLine}
	m := sem.message()
	if len(sem.errs) == 0 {
		sem.storable(m)
	}
	if len(sem.errs) == 0 {
		if check := v.cfg.Checks[m.Provider]; check != nil {
			if err := check(m); err != nil {
				field, msg := splitCheck(err.Error())
				line := lines[field]
				if field == "body" {
					line = bodyLine
				}
				sem.errs.add(field, line, msg)
			}
		}
	}
	if len(sem.errs) > 0 {
		return nil, sem.errs.finish(in.Path)
	}
	return &Draft{Input: in, Msg: m}, nil
}

var utf8BOM = []byte("\ufeff")

var yamlLineRe = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// decode parses the frontmatter YAML into plain values, applying the provider override.
func (v *Validator) decode(front []byte, provider string) (map[string]any, map[string]int, errorList) {
	d := &yamlDoc{lineOffset: 1, lines: map[string]int{}}
	dec := yaml.NewDecoder(bytes.NewReader(front))
	var root yaml.Node
	err := dec.Decode(&root)
	if err != nil && !errors.Is(err, io.EOF) {
		msg, line := err.Error(), 1
		if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
			n, _ := strconv.Atoi(m[1])
			line, msg = n+d.lineOffset, m[2]
			if strings.HasPrefix(msg, "did not find expected") {
				line++ // yaml.v3 reports these parser errors at a 0-based line
			}
		}
		d.errs.add("frontmatter", line, "invalid YAML: "+strings.TrimPrefix(msg, "yaml: "))
		return nil, nil, d.errs
	}
	var extra yaml.Node
	if err == nil {
		if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
			d.errs.add("frontmatter", extra.Line+d.lineOffset, "the frontmatter must be one YAML document")
			return nil, nil, d.errs
		}
	}
	doc := map[string]any{}
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		n := root.Content[0]
		switch {
		case n.Kind == yaml.MappingNode || n.Kind == yaml.AliasNode || n.Anchor != "":
			if m, ok := d.convert(n, "", shapeTop, shapeNone).(map[string]any); ok {
				doc = m
			}
		case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		default:
			d.errs.add("frontmatter", n.Line+d.lineOffset, "the frontmatter must be a mapping of fields (provider: …, to: …)")
		}
	}
	if len(d.errs) > 0 {
		return nil, nil, d.errs
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
	return doc, d.lines, d.errs
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
	parts := strings.Split(fmt.Sprint(expected), ", ")
	for i, p := range parts {
		parts[i] = article(p)
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

var checkFieldRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.\[\]]*$`)

// splitCheck splits a provider check's "field: message" text.
func splitCheck(s string) (field, msg string) {
	if f, m, ok := strings.Cut(s, ": "); ok && checkFieldRe.MatchString(f) {
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

var topKeyRe = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)[ \t]*:`)

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
	if m := topKeyRe.FindSubmatch(lines[n-1]); m != nil && n > 1 {
		return string(m[1])
	}
	return "frontmatter"
}
