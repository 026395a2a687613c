package hooks

import (
	"bytes"
	"strings"
	"testing"
)

func TestStatusReportJSONAndPrint(t *testing.T) {
	st := &StatusReport{HooksDir: ".git/hooks", Hooks: []HookStatus{
		{Name: "pre-commit", Path: "p", Courier: true, Executable: true, Chained: "p.courier-chained"},
		{Name: "post-commit", Path: "q", Courier: true},
		{Name: "post-rewrite"},
	}}
	j := st.JSON()
	if j.Installed || j.Current || j.Hooks[0].State != "courier" || j.Hooks[1].State != "courier-not-executable" || j.Hooks[2].State != "absent" {
		t.Errorf("JSON() = %+v", j)
	}
	var b bytes.Buffer
	st.Print(&b)
	want := "hooks directory: .git/hooks\n  pre-commit   courier, chains p.courier-chained\n" +
		"  post-commit  courier (NOT executable: git will skip it)\n  post-rewrite not installed\n"
	if got := b.String(); got != want {
		t.Errorf("Print:\n%s\nwant:\n%s", got, want)
	}
	st.Hooks = st.Hooks[:1]
	if j := st.JSON(); !j.Installed || !j.Current || !strings.HasPrefix(j.Dir, ".git") {
		t.Errorf("JSON() = %+v", j)
	}
}
