package dingtalk

import "testing"

// DingTalk only notifies an @mobile that appears in the text; a shorter number that is a prefix of
// another one in the body must still be appended.
func TestAppendMentionsWholeWords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ body, want string }{
		{"hi @13800000000", "hi @13800000000 @1380"},
		{"hi @1380 and more", "hi @1380 and more"},
		{"hi @1380", "hi @1380"},
		{"hi @1380, ok", "hi @1380, ok"},
		{"hi @1380_x", "hi @1380_x @1380"},
	} {
		if got := appendMentions(tc.body, []string{"@1380"}, " "); got != tc.want {
			t.Errorf("appendMentions(%q) = %q, want %q", tc.body, got, tc.want)
		}
	}
}
