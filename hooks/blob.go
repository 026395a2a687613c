package hooks

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// convertAttrs are the attributes under which `git add` may change a file's bytes.
var convertAttrs = []string{"text", "eol", "crlf", "filter", "ident", "working-tree-encoding"}

// HashBlobs returns, for each content at the repository-relative path of the same index, the blob id
// git would store for it: what `git add` puts in the index, after clean filters (core.autocrlf,
// .gitattributes text, eol and filter). Git decides: one `git check-attr` for every path and one look at
// core.autocrlf tell which paths git would convert; each of those is hashed by `git hash-object --stdin
// --path=<rel>`, so every configuration layer and attribute applies exactly as for a commit, and the
// others are hashed here, unchanged. Hashing the contents given, not the files, keeps each id that of
// the bytes the caller holds. Nothing is written to the object store.
func (r *Repo) HashBlobs(rels []string, contents [][]byte) ([]string, error) {
	if len(rels) != len(contents) {
		return nil, fmt.Errorf("hash blobs: %d paths, %d contents", len(rels), len(contents))
	}
	if len(rels) == 0 {
		return nil, nil
	}
	convert, err := r.converted(rels)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(rels))
	for i, rel := range rels {
		if !convert[rel] {
			ids[i] = rawBlobID(contents[i])
			continue
		}
		if ids[i], err = r.hashObject(rel, contents[i]); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// converted tells which of rels git may convert on `git add`: all of them under core.autocrlf or in a
// repository whose object ids are not SHA-1 (rawBlobID would not apply), else those with a conversion
// attribute set.
func (r *Repo) converted(rels []string) (map[string]bool, error) {
	out := map[string]bool{}
	cfg := exec.Command("git", "config", "-z", "--get-regexp", `^(core\.autocrlf|extensions\.objectformat)$`)
	cfg.Dir = r.Top
	kv, err := run(cfg)
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) && ee.ExitCode() == 1 {
		kv, err = nil, nil // neither is set
	}
	if err != nil {
		return nil, err
	}
	for _, entry := range strings.Split(string(kv), "\x00") {
		key, v, _ := strings.Cut(entry, "\n")
		v = strings.ToLower(strings.TrimSpace(v))
		if key == "core.autocrlf" && v != "false" && v != "0" && v != "no" && v != "off" && v != "" ||
			key == "extensions.objectformat" && v != "sha1" {
			for _, rel := range rels {
				out[rel] = true
			}
			return out, nil
		}
	}
	cmd := exec.Command("git", append([]string{"check-attr", "-z", "--stdin"}, convertAttrs...)...)
	cmd.Dir = r.Top
	cmd.Stdin = strings.NewReader(strings.Join(rels, "\x00") + "\x00")
	res, err := run(cmd)
	if err != nil {
		return nil, err
	}
	f := strings.Split(string(res), "\x00") // path, attribute, value, ...
	for i := 0; i+2 < len(f); i += 3 {
		if f[i+2] != "unspecified" {
			out[f[i]] = true
		}
	}
	return out, nil
}

// hashObject is `git hash-object --stdin --path=<rel>` of content.
func (r *Repo) hashObject(rel string, content []byte) (string, error) {
	cmd := exec.Command("git", "hash-object", "--stdin", "--path="+rel)
	cmd.Dir = r.Top
	cmd.Stdin = bytes.NewReader(content)
	out, err := run(cmd)
	if err != nil {
		return "", err
	}
	id := strings.TrimSpace(string(out))
	if len(id) != 40 && len(id) != 64 {
		return "", fmt.Errorf("git hash-object %s: unexpected output %q", rel, id)
	}
	return id, nil
}

// rawBlobID is the blob id of content as it is (SHA-1 of "blob <len>\x00" + content).
func rawBlobID(content []byte) string {
	h := sha1.New()
	h.Write([]byte("blob " + strconv.Itoa(len(content)) + "\x00"))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// run runs cmd and returns its stdout; the error carries git's stderr.
func run(cmd *exec.Cmd) ([]byte, error) {
	out, msg, err := output(cmd)
	if err != nil {
		return nil, fmt.Errorf("git %s: %s: %w", cmd.Args[1], msg, err)
	}
	return out, nil
}

// output runs cmd and returns its stdout; when it fails, msg is git's stderr (else the error's text).
func output(cmd *exec.Cmd) (out []byte, msg string, err error) {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if out, err = cmd.Output(); err != nil {
		if msg = strings.TrimSpace(stderr.String()); msg == "" {
			msg = err.Error()
		}
		return nil, msg, err
	}
	return out, "", nil
}
