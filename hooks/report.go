package hooks

import (
	"fmt"
	"io"
)

// StatusJSON is `courier hooks status --json`, and "hooks" in `courier status --json` (README.md,
// "JSON output"); its shape is stable.
type StatusJSON struct {
	Dir       string `json:"dir"`       // where git runs hooks from
	Tracked   bool   `json:"tracked"`   // that directory is tracked in the repository
	Installed bool   `json:"installed"` // every courier hook is there and executable
	Current   bool   `json:"current"`   // installed, and nothing to warn about
	// ValidateOnly: pre-commit alone is courier's (`hooks install --validate-only`, central mode's
	// agents); Installed then asks for pre-commit only.
	ValidateOnly bool       `json:"validate_only"`
	Hooks        []HookJSON `json:"hooks"`
	Warnings     []string   `json:"warnings"`
}

// HookJSON is one hook in [StatusJSON].
type HookJSON struct {
	Name       string `json:"name"`
	State      string `json:"state"` // courier, courier-not-executable, foreign, foreign-not-executable, absent
	Path       string `json:"path,omitempty"`
	Chained    string `json:"chained,omitempty"` // the project's own hook courier runs first
	Executable bool   `json:"executable"`
}

// state is the hook's state as [HookJSON] names it.
func (h HookStatus) state() string {
	switch {
	case h.Courier && h.Executable:
		return "courier"
	case h.Courier:
		return "courier-not-executable"
	case h.Path != "" && h.Executable:
		return "foreign"
	case h.Path != "":
		return "foreign-not-executable"
	}
	return "absent"
}

// JSON is the report as `--json` prints it.
func (st *StatusReport) JSON() StatusJSON {
	out := StatusJSON{Dir: st.HooksDir, Tracked: st.HooksTracked, Installed: len(st.Hooks) > 0,
		ValidateOnly: st.ValidateOnly(), Hooks: []HookJSON{}, Warnings: append([]string{}, st.Warnings...)}
	for _, h := range st.Hooks {
		state := h.state()
		if state != "courier" && !(out.ValidateOnly && h.Name != "pre-commit" && state == "absent") {
			out.Installed = false
		}
		out.Hooks = append(out.Hooks, HookJSON{Name: h.Name, State: state, Path: h.Path, Chained: h.Chained, Executable: h.Executable})
	}
	out.Current = out.Installed && len(st.Warnings) == 0
	return out
}

// Print writes the report for a person, one line a hook, then the warnings.
func (st *StatusReport) Print(w io.Writer) {
	tracked := ""
	if st.HooksTracked {
		tracked = " (tracked in the repository)"
	}
	fmt.Fprintf(w, "hooks directory: %s%s\n", st.HooksDir, tracked)
	words := map[string]string{"courier": "courier", "courier-not-executable": "courier (NOT executable: git will skip it)",
		"foreign": "foreign hook (courier not installed)", "foreign-not-executable": "foreign hook, not executable",
		"absent": "not installed"}
	for _, h := range st.Hooks {
		state := words[h.state()]
		if h.Chained != "" {
			state += ", chains " + h.Chained
		}
		fmt.Fprintf(w, "  %-12s %s\n", h.Name, state)
	}
	if st.ValidateOnly() {
		fmt.Fprintln(w, "mode: validate-only (pre-commit validates drafts; no delivery hooks: a central courier delivers what is pushed)")
	}
	for _, warn := range st.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
}

// Summary is the hooks' part of `courier status`: one line, then the warnings.
func (j StatusJSON) Summary() []string {
	var out []string
	switch {
	case j.Installed && j.Current:
		out = append(out, "hooks: installed and current")
	case j.Installed:
		out = append(out, "hooks: installed, not current (see `courier hooks status`)")
	default:
		out = append(out, "hooks: not installed: drafts are neither checked nor delivered on commit (run `courier hooks install`)")
	}
	for _, w := range j.Warnings {
		out = append(out, "  warning: "+w)
	}
	return out
}
