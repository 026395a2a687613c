package drafts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/monoco/courier/delivery/mailbox"
)

// TestEveryProblemReported: a problem in one field does not hide a problem in another; each is one
// `path:line: field: message` line.
func TestEveryProblemReported(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		front string
		want  []string // "line: field: message substring", in order
	}{
		{"field typo and bad content_type", "provider: file\nto: x\nsubjet: hi\ncontent_type: markdwn\n",
			[]string{`4: subjet: unknown field (did you mean "subject"?)`, `5: content_type: "markdwn" is not one of`}},
		{"missing to and unknown provider", "provider: dingtak\n",
			[]string{`2: provider: "dingtak" is not a configured provider (did you mean "dingtalk"?)`, `3: to: required field is missing`}},
		{"wrong type and bad schedule", "provider: file\nto: {a: 1}\noptions: {schedule_at: soon}\n",
			[]string{`3: to: must be a string or a list of strings`, `4: options.schedule_at: "soon" is not an RFC 3339 timestamp`}},
		{"duplicate field and bad email", "provider: email\nto: bob\nsubject: a\nsubject: b\n",
			[]string{`3: to: "bob" is not a valid email address`, `5: subject: field is given more than once`}},
		{"unknown nested field and cc on IM", "provider: dingtalk\nto: ops\ncc: a@example.com\nsession: {kind: x}\n",
			[]string{`4: cc: only the email provider takes cc`, `5: session.kind: unknown field in session`}},
		{"provider check and unknown field", "provider: lark\nto: oc_1\nsubjcet: x\n---\nTOO LONG\n",
			[]string{`4: subjcet: unknown field`, `6: body: exceeds lark's 30000-byte text limit`}},
	}
	v := newValidator(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			content := "---\n" + tc.front
			if !strings.Contains(tc.front, "---\n") {
				content += "---\n"
			}
			content += "body\n"
			_, errs := v.Parse(input("d.md", content))
			var got []string
			for _, e := range errs {
				got = append(got, fmt.Sprintf("%d: %s: %s", e.Line, e.Field, e.Msg))
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("problem %d = %q, want prefix %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestProblemsCapped(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("---\nprovider: file\nto: x\n")
	for i := range MaxErrorsPerDraft + 5 {
		fmt.Fprintf(&b, "bogus%d: 1\n", i)
	}
	b.WriteString("---\nbody\n")
	_, errs := newValidator(t).Parse(input("d.md", b.String()))
	if MaxErrorsPerDraft != 10 || len(errs) != 10 {
		t.Fatalf("got %d problems (cap %d), want 10", len(errs), MaxErrorsPerDraft)
	}
	if errs[0].Field != "bogus0" || errs[9].Field != "bogus9" {
		t.Errorf("kept %s … %s, want the first ten in line order", errs[0].Field, errs[9].Field)
	}
}

func TestValidationErrorsError(t *testing.T) {
	t.Parallel()
	_, errs := newValidator(t).Parse(input("d.md", "---\nprovider: slak\nsubjet: x\n---\nbody\n"))
	if len(errs) != 3 {
		t.Fatalf("got %v", errs)
	}
	var err error = errs
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 3 {
		t.Fatalf("Error() = %q: want 3 lines", err.Error())
	}
	for i, l := range lines {
		if l != errs[i].Error() || !strings.HasPrefix(l, draftDir+"d.md:") {
			t.Errorf("line %d = %q", i, l)
		}
	}
	var ve *ValidationError
	if !errors.As(fmt.Errorf("wrapped: %w", err), &ve) || ve != errs[0] {
		t.Errorf("errors.As found %v, want the first problem", ve)
	}
}

// TestDeliverReportsEveryProblem: `deliver --json` lists one invalid entry per problem.
func TestDeliverReportsEveryProblem(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	d := newDeliverer(t, mb)
	res, err := d.Deliver(context.Background(), []Input{
		input("bad.md", "---\nprovider: file\nsubjet: x\ncontent_type: markdwn\n---\nbody\n"),
		input("ok.md", "---\nprovider: file\nto: x\n---\nbody\n"),
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Invalid) != 3 || len(res.Delivered) != 1 {
		t.Fatalf("invalid %v, delivered %d; want 3 problems and 1 delivered", res.Invalid, len(res.Delivered))
	}
	fields := []string{res.Invalid[0].Field, res.Invalid[1].Field, res.Invalid[2].Field}
	if strings.Join(fields, ",") != "subjet,content_type,to" {
		t.Errorf("fields %v", fields)
	}
	if n := len(outbound(t, mb)); n != 1 {
		t.Errorf("%d enqueued", n)
	}
}

// bodyLineErr is a provider check's problem at a line of the body, as adapters.LimitError is.
type bodyLineErr struct {
	msg  string
	line int
}

func (e bodyLineErr) Error() string { return "body: " + e.msg }
func (e bodyLineErr) BodyLine() int { return e.line }

// TestCheckProblemsAtTheirLines: a provider check may report several limits (errors.Join), each at
// the body line it names.
func TestCheckProblemsAtTheirLines(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Checks["file"] = func(m *mailbox.Message) error {
		return errors.Join(bodyLineErr{"blocks[0].text.text: header text is 151 characters", 2},
			bodyLineErr{"blocks[1].text.text: section text is 3001 characters", 3},
			errors.New("subject: too long"))
	}
	v, err := NewValidator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, errs := v.Parse(input("d.md", "---\nprovider: file\nto: x\nsubject: s\n---\n{\"blocks\": [\n  {},\n  {}\n]}\n"))
	var got []string
	for _, e := range errs {
		got = append(got, fmt.Sprintf("%d: %s: %s", e.Line, e.Field, e.Msg))
	}
	want := []string{"4: subject: too long", "7: body: blocks[0].text.text: header text is 151 characters",
		"8: body: blocks[1].text.text: section text is 3001 characters"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestBodyTooLargeStillChecksFrontmatter: an oversized body is one problem; the frontmatter's own
// problems are reported with it, and nothing is said about the body it did not read.
func TestBodyTooLargeStillChecksFrontmatter(t *testing.T) {
	t.Parallel()
	content := "---\nprovider: file\nto: x\ncontent_type: card\nsubjet: s\n---\n" + strings.Repeat("x", MaxBody+1)
	_, errs := newValidator(t).Parse(input("d.md", content))
	if len(errs) != 2 || errs[0].Field != "subjet" || errs[1].Field != "body" || !strings.Contains(errs[1].Msg, "1 MiB") {
		t.Errorf("got %v, want subjet and the body size", errs)
	}
}
