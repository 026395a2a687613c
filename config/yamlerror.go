package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/monoco/courier/drafts"
)

var yamlLineRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`) })
var unknownFieldRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^field (\S+) not found in type \S+$`) })

// structTypeRe matches yaml.v3's error for a scalar or list where a section (a Go struct) belongs,
// which would otherwise name the Go type ("into config.WatchConfig").
var structTypeRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^cannot unmarshal !!(\w+)(?: .*)? into \*?(?:main|[a-z]+)\.[A-Z]\w*$`)
})

var yamlKinds = map[string]string{"seq": "a list", "str": "a string", "int": "a number", "float": "a number",
	"bool": "true or false", "null": "empty", "map": "a mapping", "binary": "binary data", "timestamp": "a timestamp"}

// yamlError turns a yaml.v3 error into `file:line: message` lines. For an unclosed flow collection
// yaml.v3 names a line before the cause; the line of the unclosed bracket is named instead.
func yamlError(file string, data []byte, err error, keys []string) string {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	out := make([]string, 0, len(msgs))
	for _, m := range msgs {
		m = strings.TrimPrefix(m, "yaml: ")
		if sub := yamlLineRe().FindStringSubmatch(m); sub != nil {
			msg := sub[2]
			if f := unknownFieldRe().FindStringSubmatch(msg); f != nil {
				msg = fmt.Sprintf("%s: unknown key", f[1])
				if sug := drafts.Suggest(f[1], keys); sug != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", sug)
				}
			}
			if f := structTypeRe().FindStringSubmatch(msg); f != nil {
				msg = "must be a mapping of keys, not " + yamlKinds[f[1]]
			}
			msg = strings.ReplaceAll(msg, "line "+sub[1]+": ", "")
			line := sub[1]
			if flowRe().MatchString(msg) {
				if l, open := unclosed(data); l > 0 {
					line, msg = strconv.Itoa(l), fmt.Sprintf("%s (the %q on this line is not closed)", msg, open)
				}
			}
			out = append(out, fmt.Sprintf("%s:%s: %s", file, line, msg))
			continue
		}
		out = append(out, file+": "+m)
	}
	return strings.Join(out, "\n")
}

// flowRe matches yaml.v3's error for a flow collection ({...} or [...]) that is not closed.
var flowRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^did not find expected ',' or '[]}]'$`) })

// unclosed returns the line (1-based) and bracket of the first { or [ in data that is never closed,
// skipping comments and quoted scalars; 0 when every bracket is closed.
func unclosed(data []byte) (int, string) {
	type open struct {
		line int
		b    byte
	}
	var stack []open
	line, quote, prev := 1, byte(0), byte(' ')
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case c == '\n':
			line++
		case quote != 0:
			if c == quote && (quote == '\'' || data[i-1] != '\\') {
				quote = 0
			}
		case c == '#' && (prev == ' ' || prev == '\t' || prev == '\n'):
			for i+1 < len(data) && data[i+1] != '\n' {
				i++
			}
		case (c == '"' || c == '\'') && strings.IndexByte(" \t\n{[,:", prev) >= 0:
			quote = c
		case c == '{' || c == '[':
			stack = append(stack, open{line, c})
		case (c == '}' || c == ']') && len(stack) > 0:
			stack = stack[:len(stack)-1]
		}
		prev = c
	}
	if len(stack) == 0 {
		return 0, ""
	}
	return stack[0].line, string(stack[0].b)
}
