package drafts

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// MaxErrorsPerDraft bounds how many problems one draft reports: every problem is reported, one line
// each, up to this many.
const MaxErrorsPerDraft = 10

// ValidationError is one thing wrong with a draft: `File:Line: Field: Msg`.
type ValidationError struct {
	File  string `json:"draft"`   // relative to the repository, slash-separated
	Line  int    `json:"line"`    // 1-based line in the draft; 0 when no line applies
	Field string `json:"field"`   // the field at fault ("to", "options.schedule_at", "mentions[0].type"); "" for the file as a whole
	Msg   string `json:"message"` // what is wrong
}

// Error formats e as `File:Line: Field: Msg`, leaving out the line when it is 0 and the field when it
// is empty.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ValidationErrors is every problem found in one draft, in line order, at most MaxErrorsPerDraft.
// Its Error is one `File:Line: Field: Msg` line per problem; errors.As finds the first
// *ValidationError. A nil or empty list means the draft is valid (test with len, not != nil).
type ValidationErrors []*ValidationError

// Error joins the problems' lines with newlines.
func (l ValidationErrors) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems, so that errors.As and errors.Is see each of them.
func (l ValidationErrors) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// oneLine keeps an error on one line whatever field names and values it quotes.
var oneLine = strings.NewReplacer("\n", `\n`, "\r", `\r`, "\u2028", `\u2028`, "\u2029", `\u2029`, "\u0085", `\u0085`)

var listIndexRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\[\d+\]`) })

// errorList collects the errors of one draft.
type errorList []*ValidationError

func (l *errorList) add(field string, line int, msg string) {
	*l = append(*l, &ValidationError{Line: line, Field: field, Msg: msg})
}

// covers reports whether a problem is already recorded for field or for an object or list that holds
// it (a later check on the same value would only repeat it).
func (l errorList) covers(field string) bool {
	for _, e := range l {
		if e.Field == "" || e.Field == "frontmatter" {
			continue
		}
		if field == e.Field || strings.HasPrefix(field, e.Field+".") || strings.HasPrefix(field, e.Field+"[") {
			return true
		}
	}
	return false
}

// touches reports whether a problem is recorded for field or for anything inside it.
func (l errorList) touches(field string) bool {
	for _, e := range l {
		if e.Field == field || strings.HasPrefix(e.Field, field+".") || strings.HasPrefix(e.Field, field+"[") {
			return true
		}
	}
	return false
}

// merge appends the problems of more that l does not already cover.
func (l *errorList) merge(more errorList) {
	base := *l
	for _, e := range more {
		if !base.covers(e.Field) {
			*l = append(*l, e)
		}
	}
}

// finish sets the file on every error, orders them by line (those without one last), drops repeats
// of one field (items of one list count as one field: `to: [1, 2]` is one mistake, one line; the
// body's problems are each kept) and
// keeps at most MaxErrorsPerDraft.
func (l errorList) finish(file string) ValidationErrors {
	if len(l) == 0 {
		return nil
	}
	sort.SliceStable(l, func(i, j int) bool {
		li, lj := l[i].Line, l[j].Line
		if li == 0 || lj == 0 {
			return li != 0 && lj == 0
		}
		return li < lj
	})
	seen := map[string]bool{}
	var out ValidationErrors
	for _, e := range l {
		key := listIndexRe().ReplaceAllString(e.Field, "[]")
		if e.Field == "body" { // a body may break several limits, each at its own place
			key += "\x00" + strconv.Itoa(e.Line) + "\x00" + e.Msg
		}
		if seen[key] && e.Field != "" {
			continue
		}
		seen[key] = true
		e.File, e.Field, e.Msg = oneLine.Replace(file), oneLine.Replace(e.Field), oneLine.Replace(e.Msg)
		out = append(out, e)
		if len(out) == MaxErrorsPerDraft {
			break
		}
	}
	return out
}
