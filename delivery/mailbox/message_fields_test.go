package mailbox

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestTimestamps(t *testing.T) {
	t.Parallel()
	tsLine := func(key, value string) *regexp.Regexp {
		return regexp.MustCompile(`(?m)^\s*` + key + `: "?` + regexp.QuoteMeta(value) + `"?$`)
	}
	t.Run("written as UTC with Z and milliseconds", func(t *testing.T) {
		m := withWatcherFields(sampleMessage("out_slack_0123456789ab"))
		m.CreatedAt = At(time.Date(2026, 2, 7, 23, 2, 32, 123456789, time.FixedZone("CST", 8*3600)))
		m.SentAt = Ptr(time.Date(2026, 2, 7, 15, 2, 32, 0, time.UTC))
		data, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string]string{
			"created_at":    "2026-02-07T15:02:32.123Z",
			"sent_at":       "2026-02-07T15:02:32.000Z",
			"next_retry_at": "2026-02-07T15:07:32.123Z",
			"failed_at":     "2026-02-07T15:09:32.123Z",
			"due_since":     "2026-02-07T15:03:32.123Z",
			"schedule_at":   "2026-02-07T16:02:32.123Z",
			"at":            "2026-02-07T15:04:32.123Z",
		} {
			if !tsLine(`(- )?`+key, want).Match(data) {
				t.Errorf("%s is not written as %s:\n%s", key, want, data)
			}
		}
		// No timestamp anywhere carries an offset or lacks milliseconds.
		ts := regexp.MustCompile(`\d{4}-\d\d-\d\dT[0-9:.]+[^"\n]*`)
		for _, s := range ts.FindAllString(string(data), -1) {
			if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(s) {
				t.Errorf("timestamp %q is not in the canonical form", s)
			}
		}
	})
	t.Run("any offset on input is normalised to UTC", func(t *testing.T) {
		in := "---\nid: a\ncreated_at: 2026-02-07T23:02:32.123+08:00\nnext_retry_at: 2026-02-07T10:02:32-05:00\n" +
			"options:\n  schedule_at: 2026-02-07T15:02:32.5Z\n---\n"
		m, err := Parse([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if !m.CreatedAt.Equal(t0) || m.CreatedAt.Location() != time.UTC {
			t.Errorf("created_at = %v (%v), want %v in UTC", m.CreatedAt.Time, m.CreatedAt.Location(), t0)
		}
		if m.NextRetryAt.Location() != time.UTC {
			t.Errorf("next_retry_at location %v", m.NextRetryAt.Location())
		}
		data, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string]string{
			"created_at":    "2026-02-07T15:02:32.123Z",
			"next_retry_at": "2026-02-07T15:02:32.000Z",
			"schedule_at":   "2026-02-07T15:02:32.500Z",
		} {
			if !tsLine(key, want).Match(data) {
				t.Errorf("%s is not written as %s:\n%s", key, want, data)
			}
		}
	})
	t.Run("invalid timestamps are errors", func(t *testing.T) {
		for _, v := range []string{"yesterday", "2026-02-07", "2026-02-07 15:02:32", "2026-02-07T15:02:32",
			"[2026-02-07T15:02:32Z]", "{a: b}", "''"} {
			if _, err := Parse([]byte("---\nid: a\ncreated_at: " + v + "\n---\n")); err == nil {
				t.Errorf("created_at %s parsed", v)
			}
		}
	})
	t.Run("ParseTime", func(t *testing.T) {
		got, err := ParseTime("2026-02-07T23:02:32.123+08:00")
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != "2026-02-07T15:02:32.123Z" {
			t.Errorf("String() = %s", got)
		}
		if _, err := ParseTime("not a time"); err == nil {
			t.Error("ParseTime accepted garbage")
		}
		j, err := At(t0).MarshalJSON()
		if err != nil || string(j) != `"2026-02-07T15:02:32.123Z"` {
			t.Errorf("MarshalJSON = %s, %v", j, err)
		}
	})
}

func TestNullFields(t *testing.T) {
	t.Parallel()
	m := sampleMessage("out_slack_0123456789ab")
	m.SetError("x")
	m.SetError("") // "" means null
	data, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"next_retry_at: null", "sent_at: null", "error_message: null", "retry_count: 0"} {
		if !regexp.MustCompile(`(?m)^` + line + `$`).Match(data) {
			t.Errorf("missing line %q in\n%s", line, data)
		}
	}
	got, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.NextRetryAt != nil || got.SentAt != nil || got.ErrorMessage != nil || got.LastError() != "" {
		t.Errorf("null fields read back as %v %v %v", got.NextRetryAt, got.SentAt, got.ErrorMessage)
	}
}

func TestParseRejectsUnknownKeys(t *testing.T) {
	t.Parallel()
	for name, in := range map[string]string{
		"top level":       "---\nid: a\nbogus: 1\n---\n",
		"in source":       "---\nid: a\nsource:\n  item: X\n  bogus: 1\n---\n",
		"in options":      "---\nid: a\noptions: {silent: true, later: 1}\n---\n",
		"in an attempt":   "---\nid: a\nattempts: [{at: 2026-02-07T15:02:32Z, outcome: sent, extra: 1}]\n---\n",
		"misspelled body": "---\nid: a\nstatuss: pending\n---\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(in)); err == nil {
				t.Error("parsed without error")
			}
		})
	}
}

func TestParseRejectsBadYAML(t *testing.T) {
	t.Parallel()
	for name, in := range map[string]string{
		"empty frontmatter": "---\n---\nbody",
		"not a mapping":     "---\n- a\n- b\n---\n",
		"wrong type":        "---\nid: a\nretry_count: many\n---\n",
		"to not a list":     "---\nid: a\nto: {a: b}\n---\n",
		"tab indentation":   "---\nid: a\nsource:\n\titem: x\n---\n",
		"duplicate key":     "---\nid: a\nid: b\n---\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(in)); err == nil {
				t.Error("parsed without error")
			}
		})
	}
}

func TestSplitFrontmatterErrors(t *testing.T) {
	t.Parallel()
	big := func(n int) string { // a frontmatter of exactly n bytes made of comment lines
		var b strings.Builder
		for b.Len() < n {
			line := "# " + strings.Repeat("x", 77) + "\n"
			if rest := n - b.Len(); rest < len(line) {
				line = "#" + strings.Repeat("x", rest-2) + "\n"
				if rest == 1 {
					line = "\n"
				}
			}
			b.WriteString(line)
		}
		return b.String()
	}
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty file", "", ErrNoFrontmatter},
		{"no opening line", "id: a\n---\nbody\n", ErrNoFrontmatter},
		{"opening line with trailing space", "--- \nid: a\n---\n", ErrNoFrontmatter},
		{"indented opening line", " ---\nid: a\n---\n", ErrNoFrontmatter},
		{"byte order mark", "\ufeff---\nid: a\n---\n", ErrNoFrontmatter},
		{"opening line only, no newline", "---", ErrNoFrontmatter},
		{"four dashes", "----\nid: a\n---\n", ErrNoFrontmatter},
		{"unclosed", "---\nid: a\nbody\n", ErrUnclosed},
		{"opening line only", "---\n", ErrUnclosed},
		{"closing line with trailing space", "---\nid: a\n--- \nbody", ErrUnclosed},
		{"closing line indented", "---\nid: a\n ---\n", ErrUnclosed},
		{"too large, closed", "---\n" + big(MaxFrontmatter+1) + "---\nbody", ErrTooLarge},
		{"too large, unclosed", "---\n" + big(2*MaxFrontmatter), ErrTooLarge},
		{"message too large, closed", "---\n" + big(MaxMessageFrontmatter+1) + "---\nbody", ErrTooLarge},
		{"message too large, unclosed", "---\n" + big(2*MaxMessageFrontmatter), ErrTooLarge},
		{"non-UTF-8 in frontmatter", "---\nid: \xff\n---\n", ErrNotUTF8},
		{"non-UTF-8 in body", "---\nid: a\n---\nbody \xc3\x28\n", ErrNotUTF8},
		{"non-UTF-8 before the opening line", "\xff---\nid: a\n---\n", ErrNotUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := SplitFrontmatter([]byte(tt.in))
			if !errors.Is(err, tt.want) {
				t.Errorf("SplitFrontmatter error = %v, want %v", err, tt.want)
			}
			if strings.HasPrefix(tt.name, "too large") {
				return // a draft's limit; message files have MaxMessageFrontmatter (the "message" cases)
			}
			if _, err := Parse([]byte(tt.in)); !errors.Is(err, tt.want) {
				t.Errorf("Parse error = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("a message file may exceed a draft's limit", func(t *testing.T) {
		in := "---\n" + big(MaxMessageFrontmatter) + "---\nbody"
		if _, _, _, err := SplitFrontmatter([]byte(in)); !errors.Is(err, ErrTooLarge) {
			t.Errorf("SplitFrontmatter error = %v, want ErrTooLarge", err)
		}
		if _, err := Parse([]byte(in)); errors.Is(err, ErrTooLarge) {
			t.Errorf("Parse error = %v: a message file within MaxMessageFrontmatter must be read", err)
		}
	})
	t.Run("exactly 64 KiB is accepted", func(t *testing.T) {
		front := big(MaxFrontmatter)
		if len(front) != MaxFrontmatter {
			t.Fatalf("test setup: frontmatter is %d bytes", len(front))
		}
		f, body, _, err := SplitFrontmatter([]byte("---\n" + front + "---\nbody"))
		if err != nil {
			t.Fatalf("SplitFrontmatter: %v", err)
		}
		if string(f) != front || string(body) != "body" {
			t.Errorf("split wrong: %d front bytes, body %q", len(f), body)
		}
	})
}

func TestMessageAccessors(t *testing.T) {
	t.Parallel()
	m := &Message{CreatedAt: At(t0)}
	if !m.Due().IsZero() || !m.FirstDue().Equal(t0) {
		t.Errorf("no schedule: Due %v FirstDue %v", m.Due(), m.FirstDue())
	}
	m.Options = &Options{ScheduleAt: Ptr(t0.Add(time.Hour))}
	if !m.Due().Equal(t0.Add(time.Hour)) || !m.FirstDue().Equal(t0.Add(time.Hour)) {
		t.Errorf("schedule_at: Due %v FirstDue %v", m.Due(), m.FirstDue())
	}
	m.NextRetryAt, m.DueSince = Ptr(t0.Add(2*time.Hour)), Ptr(t0.Add(3*time.Hour))
	if !m.Due().Equal(t0.Add(2*time.Hour)) || !m.FirstDue().Equal(t0.Add(3*time.Hour)) {
		t.Errorf("retry: Due %v FirstDue %v", m.Due(), m.FirstDue())
	}
}

// yaml.v3 writes the string "<<" as a plain merge key; Marshal must quote it so the file reads back.
func TestMetadataMergeKeyRoundTrip(t *testing.T) {
	t.Parallel()
	m := sampleMessage("out_slack_0123456789ab")
	m.Metadata = MetadataOf(map[string]any{"<<": "x", "list": []any{map[string]any{"<<": 1}}, "v": "<<"})
	data, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, data)
	}
	assertMessagesEqual(t, got, m)
}
