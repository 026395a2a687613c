package hooks_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monoco/courier/hooks"
)

// TestRunReturnsAResult: Run prints nothing; what it found comes back as files, notes and typed errors.
func TestRunReturnsAResult(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	r.write("README.md", "# x\n")
	r.commit("root")
	h := r.open()
	r.write(draftA, validMD)
	r.git("add", draftA)
	var out, errb bytes.Buffer
	run := func(name string, env map[string]string) (*hooks.Result, error) {
		return hooks.Run(context.Background(), h, name, hooks.Options{Stdout: &out, Stderr: &errb,
			Getenv: func(k string) string { return env[k] }, Match: isDraft})
	}

	res, err := run("pre-commit", nil)
	if err != nil || len(res.Files) != 1 || res.Files[0].Path != draftA || res.Files[0].Blob != r.blob(validMD) ||
		string(res.Files[0].Content) != validMD || res.Skipped || len(res.Notes) != 0 {
		t.Fatalf("pre-commit: %+v, %v", res, err)
	}
	if res, err = run("pre-commit", map[string]string{"COURIER_SKIP": "1"}); err != nil || !res.Skipped ||
		len(res.Files) != 1 || res.Files[0].Path != draftA || res.Files[0].Content != nil || len(res.Notes) != 1 || res.Notes[0] != "COURIER_SKIP=1, skipping pre-commit" {
		t.Fatalf("skip: %+v, %v", res, err)
	}
	if _, err = run("pre-push", nil); !errors.Is(err, hooks.ErrUnknownHook) {
		t.Fatalf("pre-push: %v, want ErrUnknownHook", err)
	}

	writeForeign(t, filepath.Join(h.HooksDir, "pre-commit.courier-chained"), "#!/bin/sh\necho no >&2\nexit 3\n", 0o755)
	res, err = run("pre-commit", nil)
	var chained *hooks.ChainedError
	if !errors.As(err, &chained) || chained.Code != 3 || res.Files != nil {
		t.Fatalf("failing chained pre-commit: %+v, %v; want a ChainedError with code 3 and no files", res, err)
	}
	r.commit("draft", draftA)
	writeForeign(t, filepath.Join(h.HooksDir, "post-commit.courier-chained"), "#!/bin/sh\nexit 4\n", 0o755)
	res, err = run("post-commit", nil)
	if err != nil || len(res.Files) != 1 || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "exited 4; courier carries on") {
		t.Fatalf("post-commit after a failing chained hook: %+v, %v", res, err)
	}
	if out.String() != "" || errb.String() != "no\n" {
		t.Errorf("stdout %q, stderr %q: want only the chained hook's own output", out.String(), errb.String())
	}
}
