package guard

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Event is the part of an agent tool-call event the guard reads: Claude Code's PreToolUse hook input
// (`{"hook_event_name": "PreToolUse", "tool_name": …, "tool_input": {…}, "cwd": …}`).
type Event struct {
	HookEventName string          `json:"hook_event_name"`
	ToolName      string          `json:"tool_name"`
	ToolInput     json.RawMessage `json:"tool_input"`
	Cwd           string          `json:"cwd"`
}

// toolInput holds the tool_input fields the guard reads.
type toolInput struct {
	FilePath     *string `json:"file_path"`
	NotebookPath *string `json:"notebook_path"`
	Command      *string `json:"command"`
}

// readOnlyTools are Claude Code tools that write nothing: the guard has no objection, silently.
func readOnlyTools() map[string]bool {
	return map[string]bool{"Read": true, "Glob": true, "Grep": true, "LS": true, "WebFetch": true,
		"WebSearch": true, "TodoWrite": true, "Task": true, "NotebookRead": true, "BashOutput": true,
		"KillShell": true, "KillBash": true, "ExitPlanMode": true, "SlashCommand": true, "Skill": true,
		"AskUserQuestion": true, "ListMcpResourcesTool": true, "ReadMcpResourceTool": true}
}

// ErrUnreadable wraps every reason the guard could not read an event in full.
var ErrUnreadable = errors.New("cannot read the tool call")

// Check decides on one event (JSON). cwd is used when the event carries none. A non-nil error says
// why part of the event could not be read (the caller reports it on stderr): the decision then has
// no objection unless what could be read resolves into a protected place.
func (g *Guard) Check(data []byte, cwd string) (Decision, error) {
	var ev Event
	if err := json.Unmarshal(data, &ev); err != nil {
		return Decision{}, fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	if ev.HookEventName != "" && ev.HookEventName != "PreToolUse" {
		return Decision{}, fmt.Errorf("%w: event %q is not PreToolUse", ErrUnreadable, ev.HookEventName)
	}
	if ev.Cwd != "" && filepath.IsAbs(ev.Cwd) {
		cwd = filepath.Clean(ev.Cwd)
	}
	var in toolInput
	if len(ev.ToolInput) > 0 {
		if err := json.Unmarshal(ev.ToolInput, &in); err != nil {
			return Decision{}, fmt.Errorf("%w: %s tool_input: %v", ErrUnreadable, ev.ToolName, err)
		}
	}
	switch ev.ToolName {
	case "Write", "Edit", "MultiEdit", "NotebookEdit":
		p := in.FilePath
		if ev.ToolName == "NotebookEdit" && in.NotebookPath != nil {
			p = in.NotebookPath
		}
		if p == nil || *p == "" {
			return Decision{}, fmt.Errorf("%w: %s without a path", ErrUnreadable, ev.ToolName)
		}
		return g.CheckPath(*p, cwd, true), nil
	case "Bash":
		if in.Command == nil {
			return Decision{}, fmt.Errorf("%w: Bash without a command", ErrUnreadable)
		}
		d, err := g.CheckCommand(*in.Command, cwd)
		if err != nil {
			err = fmt.Errorf("%w: %v", ErrUnreadable, err)
		}
		return d, err
	case "":
		return Decision{}, fmt.Errorf("%w: no tool_name", ErrUnreadable)
	}
	if readOnlyTools()[ev.ToolName] {
		return Decision{}, nil
	}
	// An unknown tool (an MCP server's, say) named for writing, with a path into a protected place.
	if writesByName(ev.ToolName) {
		var paths struct {
			Path        string `json:"path"`
			Destination string `json:"destination"`
		}
		_ = json.Unmarshal(ev.ToolInput, &paths) // already known to be an object
		for _, p := range []*string{in.FilePath, in.NotebookPath, &paths.Path, &paths.Destination} {
			if p != nil && *p != "" {
				if d := g.CheckPath(*p, cwd, true); d.Deny {
					return d, nil
				}
			}
		}
	}
	return Decision{}, fmt.Errorf("%w: unknown tool %q", ErrUnreadable, ev.ToolName)
}

// writesByName reports whether a tool's name says it writes (mcp__filesystem__write_file, edit_file,
// move_file, create_directory, …); reading tools are never denied.
func writesByName(tool string) bool {
	t := strings.ToLower(tool)
	for _, w := range []string{"write", "edit", "create", "delete", "remove", "move", "rename", "update", "patch", "append"} {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}
