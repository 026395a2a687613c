package templates

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	t.Parallel()
	s := Service{Binary: "/opt/c&b/courier", RepoDir: "/home/me/my repo<1>"}
	for _, tc := range []struct {
		kind string
		want []string
	}{
		{"systemd", []string{`ExecStart="/opt/c&b/courier" -C "/home/me/my repo<1>" watch`,
			"StandardOutput=append:/home/me/my repo<1>/.monoco/courier-watch.log"}},
		{"launchd", []string{"<string>dev.monoco.courier.my-repo-1-</string>", "<string>/opt/c&amp;b/courier</string>",
			"<string>/home/me/my repo&lt;1&gt;/.monoco/courier-watch.log</string>"}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			var b bytes.Buffer
			if err := Render(&b, tc.kind, s); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("unit lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
	if err := Render(&bytes.Buffer{}, "upstart", s); !errors.Is(err, ErrUnknownService) {
		t.Errorf("upstart: %v, want ErrUnknownService", err)
	}
}
