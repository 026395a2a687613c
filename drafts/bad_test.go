package drafts

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBadInput is the bad-input table of issue 2: each file under testdata/bad/ yields one clear error
// naming the file, its line and the field; nothing is enqueued and the draft is left untouched.
func TestBadInput(t *testing.T) {
	t.Parallel()
	repo := filepath.Join("testdata", "bad")
	cases := []struct {
		file  string // relative to testdata/bad
		line  int
		field string
		want  string // substring of the message
	}{
		{"unknown_field.md", 4, "subjcet", `unknown field (did you mean "subject"?)`},
		{"missing_provider.md", 3, "provider", "required field is missing"},
		{"missing_to.md", 3, "to", "required field is missing"},
		{"unconfigured_provider.md", 2, "provider", `"slack" is not a configured provider (configured: dingtalk, email, lark, file)`},
		{"unknown_provider.md", 2, "provider", `"dingtalkk" is not a configured provider (did you mean "dingtalk"?)`},
		{"provider_path.md", 2, "provider", "no path characters"},
		{"provider_case.md", 2, "provider", `not a valid provider name (a lower-case adapter name, no path characters; did you mean "file"?)`},
		{"to_wrong_type.md", 3, "to", "must be a string or a list of strings, not a mapping"},
		{"to_empty_list.md", 3, "to", "must not be an empty list"},
		{"to_not_strings.md", 3, "to[0]", "must be a string, not an integer"},
		{"invalid_email.md", 5, "to[1]", `"bob at example" is not a valid email address`},
		{"body_too_large.md", 5, "body", "the limit is 1 MiB"},
		{"frontmatter_too_large.md", 1, "frontmatter", "larger than 64 KiB"},
		{"unclosed.md", 1, "frontmatter", "not closed"},
		{"no_frontmatter.md", 1, "frontmatter", "no frontmatter"},
		{"not_utf8.md", 4, "subject", "not valid UTF-8"},
		{"not_utf8_body.md", 6, "body", "not valid UTF-8"},
		{"alias_bomb.md", 5, "metadata.a", "anchors"},
		{"symlink.md", 0, "", "symbolic link"},
		{"../outside.md", 0, "", "outside the repository"},
		{"bad_schedule_at.md", 5, "options.schedule_at", `"tomorrow at 9" is not an RFC 3339 timestamp`},
		{"card_not_object.md", 6, "body", "a card body must be a JSON or YAML object"},
		{"cc_not_email.md", 4, "cc", "only the email provider takes cc"},
		{"participants_disagree.md", 5, "participants.to", "disagrees with to"},
		{"bad_content_type.md", 4, "content_type", `"markdwn" is not one of text, markdown, card, html (did you mean "markdown"?)`},
		{"mention_missing_type.md", 5, "mentions[0].type", "required field is missing"},
		{"duplicate_field.md", 4, "to", "more than once"},
		{"yaml_syntax.md", 4, "frontmatter", "invalid YAML"},
		{"unknown_nested_field.md", 6, "session.kind", "unknown field in session"},
		{"option_wrong_type.md", 5, "options.silent", "must be true or false, not a string"},
		{"provider_check.md", 5, "body", "exceeds lark's 30000-byte text limit"},
		{"type_conflict.md", 4, "type", "alias of content_type"},
		{"unstorable_value.md", 4, "subject", "cannot be stored unchanged"},
	}
	v := newValidator(t)
	seen := map[string]bool{}
	for _, tc := range cases {
		seen[tc.file] = true
		t.Run(strings.TrimSuffix(filepath.Base(tc.file), ".md"), func(t *testing.T) {
			abs := filepath.Join(repo, tc.file)
			before, err := os.ReadFile(abs)
			if err != nil {
				t.Fatal(err)
			}
			wantFile := filepath.ToSlash(tc.file)
			var got []*ValidationError
			in, err := LoadInput(repo, "", abs)
			var ve *ValidationError
			switch {
			case errors.As(err, &ve):
				got = []*ValidationError{ve}
			case err != nil:
				t.Fatalf("LoadInput: %v", err)
			default:
				if in.Path != wantFile {
					t.Fatalf("Input.Path = %q, want %q", in.Path, wantFile)
				}
				start := time.Now()
				_, got = v.Parse(in)
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("Parse took %v", d)
				}
				// Deliver it too: reported invalid, nothing enqueued.
				mb := newMailbox(t)
				d := newDeliverer(t, mb)
				res, err := d.Deliver(context.Background(), []Input{in}, Options{})
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Delivered) != 0 || len(res.Invalid) != len(got) {
					t.Errorf("Deliver: delivered %d, invalid %d; want 0, %d", len(res.Delivered), len(res.Invalid), len(got))
				}
				if n := len(outbound(t, mb)); n != 0 {
					t.Errorf("%d messages enqueued for an invalid draft", n)
				}
			}
			if len(got) != 1 {
				t.Fatalf("got %d errors, want exactly 1: %v", len(got), got)
			}
			e := got[0]
			if e.File != wantFile && !(tc.file == "../outside.md" && strings.HasSuffix(e.File, "outside.md")) {
				t.Errorf("File = %q, want %q", e.File, wantFile)
			}
			if e.Field != tc.field || e.Line != tc.line || !strings.Contains(e.Msg, tc.want) {
				t.Errorf("got %q (line %d, field %q); want line %d, field %q, message containing %q",
					e.Error(), e.Line, e.Field, tc.line, tc.field, tc.want)
			}
			if s := e.Error(); strings.Contains(s, "\n") || !strings.HasPrefix(s, e.File+":") {
				t.Errorf("Error() = %q: want one line starting with %q", s, e.File+":")
			}
			after, err := os.ReadFile(abs)
			if err != nil || !bytes.Equal(before, after) {
				t.Errorf("draft changed (err %v)", err)
			}
		})
	}
	// Every file in testdata/bad is a case (ok.md is the symlink's target).
	ents, err := os.ReadDir(repo)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !seen[e.Name()] && e.Name() != "ok.md" {
			t.Errorf("testdata/bad/%s has no case in the table", e.Name())
		}
	}
}

func TestValidationErrorFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		e    ValidationError
		want string
	}{
		{ValidationError{File: "d/reply.md", Line: 2, Field: "provider", Msg: "bad"}, "d/reply.md:2: provider: bad"},
		{ValidationError{File: "d/reply.md", Field: "provider", Msg: "bad"}, "d/reply.md: provider: bad"},
		{ValidationError{File: "d/reply.md", Line: 4, Msg: "bad"}, "d/reply.md:4: bad"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}
