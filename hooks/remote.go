package hooks

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
)

// Central mode (docs/protocol.md, "Central mode") reads what agents pushed: it fetches a remote into
// its remote-tracking refs and walks the new commits with git plumbing. Nothing here checks anything
// out, runs a hook or needs a work tree: it all works in a bare clone.

// RemoteFile is one version of a file in a commit: its path, blob id and mode as git stores them.
type RemoteFile struct {
	Commit string // the commit that added or changed this version (for a tree listing: that commit)
	Path   string // slash-separated, relative to the repository top
	Blob   string // git blob id, hex
	Mode   string // git mode: 100644, 100755, 120000 (symbolic link), 160000 (gitlink)
}

// Regular reports whether the file is a regular (or executable) file, not a symbolic link or gitlink.
func (f RemoteFile) Regular() bool { return f.Mode == "100644" || f.Mode == "100755" }

// Blob is a blob's content, or only its size when it is over the limit it was read with.
type Blob struct {
	Size    int64
	Content []byte // nil when Size is over the limit
}

// Fetch runs `git fetch --prune remote '+refs/heads/*:refs/remotes/<remote>/*'`, so that a bare clone
// gets remote-tracking refs too. It uses the user's git: credentials, SSH and proxies as configured.
// git never prompts (GIT_TERMINAL_PROMPT=0): a fetch that would need a password fails instead.
func Fetch(ctx context.Context, r *Repo, remote string) error {
	if remote == "" || strings.HasPrefix(remote, "-") || strings.ContainsAny(remote, " \t\n*:") {
		return fmt.Errorf("fetch: %q is not a remote name", remote)
	}
	_, err := gitCtx(ctx, r.GitDir, nil, "fetch", "--quiet", "--prune", "--no-write-fetch-head", remote,
		"+refs/heads/*:refs/remotes/"+remote+"/*")
	return err
}

// RemoteBranches returns the remote-tracking branches of remote, by name without the `<remote>/`
// prefix, with their tips. Symbolic refs (`<remote>/HEAD`) are left out.
func RemoteBranches(ctx context.Context, r *Repo, remote string) (map[string]string, error) {
	out, err := gitCtx(ctx, r.GitDir, nil, "for-each-ref", "--format=%(objectname) %(symref) %(refname)",
		"refs/remotes/"+remote+"/")
	if err != nil {
		return nil, err
	}
	branches := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 { // a symbolic ref has three fields
			continue
		}
		if name, ok := strings.CutPrefix(f[1], "refs/remotes/"+remote+"/"); ok {
			branches[name] = f[0]
		}
	}
	return branches, nil
}

// ErrUnknownCommit is returned by [NewCommits] when git does not have the old tip (a rewritten
// branch whose old commits were pruned).
var ErrUnknownCommit = errors.New("unknown commit")

// NewCommits returns the commits reachable from tip but not from old, oldest first (`git rev-list
// --reverse --topo-order --boundary old..tip`), and whether the two share history (some boundary
// commit exists). For a rewritten branch (old not an ancestor of tip) these are the commits after
// the merge base; for one that shares nothing with old, connected is false. An old tip git does not
// have is [ErrUnknownCommit].
func NewCommits(ctx context.Context, r *Repo, old, tip string) (commits []string, connected bool, err error) {
	out, err := gitCtx(ctx, r.GitDir, nil, "rev-list", "--reverse", "--topo-order", "--boundary", old+".."+tip)
	var ee *exitCodeError
	if errors.As(err, &ee) && ee.code == 128 {
		return nil, false, fmt.Errorf("%s: %w", old, ErrUnknownCommit)
	}
	if err != nil {
		return nil, false, err
	}
	for _, c := range strings.Fields(string(out)) {
		if strings.HasPrefix(c, "-") {
			connected = true
			continue
		}
		commits = append(commits, c)
	}
	return commits, connected || len(commits) == 0, nil
}

// ChangedFiles returns the matching files each commit added or changed (deletions left out), in the
// order of commits, then path order within a commit. A merge commit contributes nothing of its own
// (its parents' commits carry the changes). under, when set, limits the diff to that path prefix.
func ChangedFiles(ctx context.Context, r *Repo, commits []string, under string, match func(string) bool) ([]RemoteFile, error) {
	if len(commits) == 0 {
		return nil, nil
	}
	args := []string{"diff-tree", "--stdin", "-r", "--root", "-z", "--no-renames"}
	if under != "" {
		args = append(args, "--", under)
	}
	out, err := gitCtx(ctx, r.GitDir, strings.NewReader(strings.Join(commits, "\n")+"\n"), args...)
	if err != nil {
		return nil, err
	}
	byCommit := map[string][]RemoteFile{}
	tokens := strings.Split(string(out), "\x00")
	commit := ""
	for i := 0; i < len(tokens); i++ {
		tok := strings.TrimSpace(tokens[i])
		if tok == "" {
			continue
		}
		if !strings.HasPrefix(tok, ":") {
			commit = tok
			continue
		}
		// :oldmode newmode oldblob newblob status, then the path.
		f := strings.Fields(tok[1:])
		if len(f) != 5 || i+1 >= len(tokens) {
			return nil, fmt.Errorf("git diff-tree: unexpected output %q", tok)
		}
		i++
		path := tokens[i]
		if f[4] == "D" || !match(path) {
			continue
		}
		byCommit[commit] = append(byCommit[commit], RemoteFile{Commit: commit, Path: path, Blob: f[3], Mode: f[1]})
	}
	var files []RemoteFile
	for _, c := range commits {
		fs := byCommit[c]
		sort.Slice(fs, func(i, j int) bool { return fs[i].Path < fs[j].Path })
		files = append(files, fs...)
	}
	return files, nil
}

// TreeFiles returns the matching files of commit's tree, in path order. under, when set, limits the
// listing to that path prefix.
func TreeFiles(ctx context.Context, r *Repo, commit, under string, match func(string) bool) ([]RemoteFile, error) {
	args := []string{"ls-tree", "-r", "-z", "--full-tree", commit}
	if under != "" {
		args = append(args, "--", under)
	}
	out, err := gitCtx(ctx, r.GitDir, nil, args...)
	if err != nil {
		return nil, err
	}
	var files []RemoteFile
	for _, rec := range strings.Split(string(out), "\x00") {
		meta, path, ok := strings.Cut(rec, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 || !match(path) {
			continue
		}
		files = append(files, RemoteFile{Commit: commit, Path: path, Blob: f[2], Mode: f[0]})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// ReadBlobs reads the blobs ids by id. Sizes are checked first (`git cat-file --batch-check`): a blob
// over max is returned with its size only and never read, so memory stays bounded whatever was pushed.
// Two git processes in all, however many blobs.
func ReadBlobs(ctx context.Context, r *Repo, ids []string, max int64) (map[string]Blob, error) {
	blobs := map[string]Blob{}
	if len(ids) == 0 {
		return blobs, nil
	}
	var in strings.Builder
	for _, id := range ids {
		in.WriteString(id + "\n")
	}
	out, err := gitCtx(ctx, r.GitDir, strings.NewReader(in.String()), "cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)")
	if err != nil {
		return nil, err
	}
	var small strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[1] != "blob" {
			return nil, fmt.Errorf("git cat-file: not a blob: %q", line)
		}
		size, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("git cat-file: %q: %w", line, err)
		}
		blobs[f[0]] = Blob{Size: size}
		if size <= max {
			small.WriteString(f[0] + "\n")
		}
	}
	if small.Len() == 0 {
		return blobs, nil
	}
	out, err = gitCtx(ctx, r.GitDir, strings.NewReader(small.String()), "cat-file", "--batch")
	if err != nil {
		return nil, err
	}
	rd := bufio.NewReader(bytes.NewReader(out))
	for {
		header, err := rd.ReadString('\n')
		if errors.Is(err, io.EOF) && header == "" {
			break
		}
		f := strings.Fields(header)
		if err != nil || len(f) != 3 {
			return nil, fmt.Errorf("git cat-file --batch: unexpected header %q", header)
		}
		size, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || size > max {
			return nil, fmt.Errorf("git cat-file --batch: unexpected header %q", header)
		}
		content := make([]byte, size+1) // the content and its trailing newline
		if _, err := io.ReadFull(rd, content); err != nil {
			return nil, fmt.Errorf("git cat-file --batch: %s: %w", f[0], err)
		}
		blobs[f[0]] = Blob{Size: size, Content: content[:size]}
	}
	return blobs, nil
}

// exitCodeError is a git command that ran and exited non-zero.
type exitCodeError struct {
	args []string
	code int
	msg  string
}

func (e *exitCodeError) Error() string { return fmt.Sprintf("git %s: %s", e.args[0], e.msg) }

// gitCtx runs git in gitDir (never a work tree) with stdin and returns its stdout. git never prompts.
func gitCtx(ctx context.Context, gitDir string, stdin io.Reader, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"--git-dir=" + gitDir}, args...)...)
	cmd.Dir = gitDir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	cmd.Stdin = stdin
	out, msg, err := output(cmd)
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ctx.Err() == nil {
			return nil, &exitCodeError{args: args, code: ee.ExitCode(), msg: msg}
		}
		return nil, fmt.Errorf("git %s: %s", args[0], msg)
	}
	return out, nil
}
