package adapters

import (
	"testing"
)

func TestTitle(t *testing.T) {
	t.Parallel()
	tests := []struct{ subject, body, want string }{
		{"Subject", "# Heading", "Subject"},
		{"  ", "intro\n\n## Deploy ##\nx", "Deploy"},
		{"", "```\n# not a heading\n```\nplain first", "# not a heading"},
		{"", "intro\n```go\n# comment\n```", "intro"},
		{"", "Setext\n======\nbody", "Setext"},
		{"", "#hashtag is not a heading\nline", "#hashtag is not a heading"},
		{"", "\n\n  first line  \nsecond", "first line"},
		{"", "", ""},
	}
	for _, tc := range tests {
		if got := Title(tc.subject, tc.body); got != tc.want {
			t.Errorf("Title(%q, %q) = %q, want %q", tc.subject, tc.body, got, tc.want)
		}
	}
}

func TestCardObject(t *testing.T) {
	t.Parallel()
	obj, err := CardObject("title: T\nbtns:\n  - {title: A, actionURL: 'https://a'}\n1: one\n")
	if err != nil {
		t.Fatal(err)
	}
	b, err := MarshalJSON(obj)
	if err != nil || string(b) != `{"1":"one","btns":[{"actionURL":"https://a","title":"A"}],"title":"T"}` {
		t.Errorf("yaml card = %s, %v", b, err)
	}
	if _, err := CardObject(`{"a": "<b>&"}`); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"", "[1,2]", "just text", "{}", ": : :"} {
		if _, err := CardObject(bad); err == nil {
			t.Errorf("CardObject(%q) = nil error", bad)
		}
	}
	if b, _ := MarshalJSON(map[string]string{"x": "<at>&"}); string(b) != `{"x":"<at>&"}` {
		t.Errorf("MarshalJSON escapes HTML: %s", b)
	}
}

func TestPickAlias(t *testing.T) {
	t.Parallel()
	ch := map[string]int{"ops": 1, "dev": 2}
	tests := []struct {
		to      []string
		want    string
		wantErr bool
	}{
		{[]string{"ops"}, "ops", false},
		{[]string{"cid-1"}, "", false},
		{[]string{"cid-1", "dev"}, "dev", false},
		{[]string{"ops", "ops"}, "ops", false},
		{[]string{"ops", "dev"}, "", true},
		{nil, "", false},
	}
	for _, tc := range tests {
		got, err := PickAlias(tc.to, ch)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("PickAlias(%v) = %q, %v", tc.to, got, err)
		}
	}
}
