package adapters

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// DecodeStrict decodes n into v (a pointer) and, unlike yaml.Node.Decode, refuses keys v has no
// field for. Every problem is one line of the returned *yaml.TypeError, in yaml.v3's own words
// ("line 4: field colour not found in type …"), so a caller formats them like a Decoder's errors.
func DecodeStrict(n *yaml.Node, v any) error {
	var errs []string
	unknownKeys(n, reflect.TypeOf(v), &errs)
	if err := n.Decode(v); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return err
		}
		errs = append(errs, te.Errors...)
	}
	if len(errs) > 0 {
		return &yaml.TypeError{Errors: errs}
	}
	return nil
}

// unknownKeys appends an error for every mapping key under n that t has no field for.
func unknownKeys(n *yaml.Node, t reflect.Type, errs *[]string) {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n == nil || reflect.PointerTo(t).Implements(reflect.TypeFor[yaml.Unmarshaler]()) {
		return
	}
	switch {
	case n.Kind == yaml.DocumentNode:
		for _, c := range n.Content {
			unknownKeys(c, t, errs)
		}
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct:
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := fields[k.Value]
			switch {
			case k.Value == "<<": // a merge key: yaml.v3 checks what it merges
			case !ok:
				*errs = append(*errs, fmt.Sprintf("line %d: field %s not found in type %s", k.Line, k.Value, t))
			default:
				unknownKeys(n.Content[i+1], ft, errs)
			}
		}
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Map:
		for i := 1; i < len(n.Content); i += 2 {
			unknownKeys(n.Content[i], t.Elem(), errs)
		}
	case n.Kind == yaml.SequenceNode && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		for _, c := range n.Content {
			unknownKeys(c, t.Elem(), errs)
		}
	}
}

// yamlFields maps the keys of struct t to their field types, as yaml.v3 names them: the tag's
// name, else the lower-cased field name; inline structs contribute their own keys.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if slices.Contains(strings.Split(opts, ","), "inline") {
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// yamlKeys lists every key a value of type t takes, nested ones included, sorted.
func yamlKeys(t reflect.Type) []string {
	seen := map[string]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		for k, ft := range yamlFields(t) {
			if !seen[k] {
				seen[k] = true
				walk(ft)
			}
		}
	}
	walk(t)
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
