package hooks

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Exclude appends the patterns missing from the repository's info/exclude (in the common git dir, so
// every worktree shares them) under one comment line, and returns the ones it added.
func (r *Repo) Exclude(patterns []string) ([]string, error) {
	path := filepath.Join(r.CommonDir, "info", "exclude")
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("exclude: %w", err)
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(data), "\n") {
		have[strings.TrimSpace(l)] = true
	}
	var buf bytes.Buffer
	buf.Write(data)
	if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
		buf.WriteByte('\n')
	}
	var added []string
	for _, p := range patterns {
		if !have[p] {
			if len(added) == 0 {
				buf.WriteString("# courier: mailbox, local outbox, watcher service log\n")
			}
			buf.WriteString(p + "\n")
			added = append(added, p)
		}
	}
	if len(added) == 0 {
		return nil, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("exclude: %w", err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("exclude: %w", err)
	}
	return added, nil
}
