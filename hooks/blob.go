package hooks

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
)

// HashBlob returns the blob id git would store for content at the repository-relative path rel:
// what `git add` puts in the index, after clean filters (core.autocrlf, .gitattributes text, eol and
// filter). It asks git itself (`git hash-object --stdin --path=<rel>` in the worktree), so every
// configuration layer and attribute applies exactly as for a commit; nothing is written to the object
// store. Hashing the content read, not the file, keeps the id that of the bytes the caller holds.
func (r *Repo) HashBlob(rel string, content []byte) (string, error) {
	cmd := exec.Command("git", "hash-object", "--stdin", "--path="+rel)
	cmd.Dir = r.Top
	cmd.Stdin = bytes.NewReader(content)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("git hash-object %s: %s", rel, msg)
	}
	id := strings.TrimSpace(string(out))
	if len(id) != 40 && len(id) != 64 {
		return "", fmt.Errorf("git hash-object %s: unexpected output %q", rel, id)
	}
	return id, nil
}
