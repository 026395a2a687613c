package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

var varRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`) })

// ExpandEnv replaces ${VAR} with its value; each unset variable is an error naming it (never a
// value), one line each.
func ExpandEnv(s string, getenv func(string) string) (string, error) {
	var missing []error
	out := varRe().ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		v := getenv(name)
		if v == "" {
			missing = append(missing, fmt.Errorf("environment variable %s is not set", name))
		}
		return v
	})
	if len(missing) > 0 {
		return "", errors.Join(missing...)
	}
	return out, nil
}

// ExpandStrings expands ${VAR} in every string reachable from v (a pointer to a config struct). It
// reports every unset variable, one line each, with the YAML key path that needs it.
func ExpandStrings(v any, getenv func(string) string) error {
	var errs []error
	expandValue(reflect.ValueOf(v), "", getenv, &errs)
	return errors.Join(errs...)
}

func expandValue(v reflect.Value, path string, getenv func(string) string, errs *[]error) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			expandValue(v.Elem(), path, getenv, errs)
		}
	case reflect.String:
		s, err := ExpandEnv(v.String(), getenv)
		for _, line := range lines(err) {
			*errs = append(*errs, fmt.Errorf("%s: %s", strings.TrimPrefix(path, "."), line))
		}
		if err == nil && v.CanSet() {
			v.SetString(s)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			if !t.Field(i).IsExported() {
				continue
			}
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			p := path
			if name != "" {
				p = path + "." + name
			}
			expandValue(v.Field(i), p, getenv, errs)
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		for _, k := range keys {
			elem := reflect.New(v.Type().Elem()).Elem()
			elem.Set(v.MapIndex(k))
			expandValue(elem, path+"."+fmt.Sprint(k), getenv, errs)
			v.SetMapIndex(k, elem)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			expandValue(v.Index(i), path+"["+strconv.Itoa(i)+"]", getenv, errs)
		}
	}
}

// lines splits an error's message into its lines (none for nil).
func lines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}
