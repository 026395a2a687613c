package hooks

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"
)

// File is a file as git stores it in the index or a commit.
type File struct {
	Path string // slash-separated, relative to the worktree top
	Blob string // git object id, hex
	// Kind is what git records at Path: a regular file, a symbolic link or a gitlink (a submodule's
	// commit). Only a regular file's content is read.
	Kind Kind
	// Size is the blob's size in bytes, known before anything is read (0 for a gitlink).
	Size int64
	// Content is a regular file's content; nil for a symbolic link, a gitlink, a blob larger than the
	// caller's limit ([Options].MaxSize), and in a run that COURIER_SKIP=1 skipped.
	Content []byte
}

// Kind is the kind of a git tree or index entry that [File] reports.
type Kind int

// The kinds of [File].
const (
	Regular Kind = iota // a regular or executable file
	Symlink             // a symbolic link (the blob is its target)
	Gitlink             // a submodule commit
)

func kindOf(m filemode.FileMode) Kind {
	switch m {
	case filemode.Symlink:
		return Symlink
	case filemode.Submodule:
		return Gitlink
	}
	return Regular
}

// entry is a matched path and its object, before the content is read.
type entry struct {
	path string
	hash plumbing.Hash
	kind Kind
}

// store opens r's object and reference storage lazily: nothing is scanned until an object is looked up.
func store(r *Repo) *filesystem.Storage {
	var dotGit = osfs.New(r.GitDir)
	if r.CommonDir != r.GitDir {
		dotGit = dotgit.NewRepositoryFilesystem(dotGit, osfs.New(r.CommonDir))
	}
	return filesystem.NewStorageWithOptions(dotGit, cache.NewObjectLRU(4*cache.MiByte), filesystem.Options{
		AlternatesFS: osfs.New(string(filepath.Separator)), // alternates are absolute paths
	})
}

// StagedFiles returns the files in the index that match, with their content as staged (from the object
// store, never the worktree). indexFile is absolute; "" means GitDir/index. Unmerged, intent-to-add and
// submodule entries are left out; a missing index has no files.
func StagedFiles(r *Repo, indexFile string, match func(path string) bool) ([]File, error) {
	ents, err := indexEntries(r, indexFile, match)
	if err != nil {
		return nil, err
	}
	st := store(r)
	defer st.Close()
	return contents(st, ents, 0)
}

// indexEntries decodes indexFile with go-git and returns the matching stage-0 file and gitlink entries. An index
// go-git cannot decode (e.g. a split index) is read through `git ls-files --stage` instead.
func indexEntries(r *Repo, indexFile string, match func(string) bool) ([]entry, error) {
	if indexFile == "" {
		indexFile = filepath.Join(r.GitDir, "index")
	}
	f, err := os.Open(indexFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read index: %w", err)
	}
	defer f.Close()
	var idx index.Index
	if err := index.NewDecoder(f).Decode(&idx); err != nil {
		ents, lsErr := lsFiles(r, indexFile, match)
		if lsErr != nil {
			return nil, fmt.Errorf("read index %s: %w (git ls-files: %w)", indexFile, err, lsErr)
		}
		return ents, nil
	}
	var ents []entry
	for _, e := range idx.Entries {
		if e.Stage != 0 || e.IntentToAdd || !isEntryMode(e.Mode) || !match(e.Name) {
			continue
		}
		ents = append(ents, entry{path: e.Name, hash: e.Hash, kind: kindOf(e.Mode)})
	}
	return ents, nil
}

// lsFiles lists indexFile's matching stage-0 file entries with `git ls-files --stage`.
func lsFiles(r *Repo, indexFile string, match func(string) bool) ([]entry, error) {
	out, err := gitRaw(r.Top, []string{"GIT_INDEX_FILE=" + indexFile}, "ls-files", "--stage", "-z")
	if err != nil {
		return nil, err
	}
	var ents []entry
	for _, rec := range bytes.Split(out, []byte{0}) {
		meta, path, ok := strings.Cut(string(rec), "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 || f[2] != "0" || !match(path) {
			continue
		}
		m, err := filemode.New(f[0])
		if err != nil || !isEntryMode(m) {
			continue
		}
		ents = append(ents, entry{path: path, hash: plumbing.NewHash(f[1]), kind: kindOf(m)})
	}
	return ents, nil
}

// isFileMode reports whether m is a blob: a regular or executable file or a symbolic link.
func isFileMode(m filemode.FileMode) bool {
	return m == filemode.Regular || m == filemode.Executable || m == filemode.Deprecated || m == filemode.Symlink
}

// isEntryMode reports whether m is a blob or a gitlink: what may stand where a draft is expected.
func isEntryMode(m filemode.FileMode) bool {
	return isFileMode(m) || m == filemode.Submodule
}

// contents reads the blob of every regular-file entry whose size, looked up first, is at most max (0:
// no limit); the others are reported with their size and without content, so that a huge blob is
// never read.
func contents(st *filesystem.Storage, ents []entry, max int64) ([]File, error) {
	files := make([]File, 0, len(ents))
	for _, e := range ents {
		f := File{Path: e.path, Blob: e.hash.String(), Kind: e.kind}
		if e.kind == Gitlink {
			files = append(files, f)
			continue
		}
		size, err := st.EncodedObjectSize(e.hash)
		if err != nil {
			return nil, fmt.Errorf("read %s (blob %s): %w", e.path, e.hash, err)
		}
		f.Size = size
		if e.kind != Regular || (max > 0 && size > max) {
			files = append(files, f)
			continue
		}
		blob, err := object.GetBlob(st, e.hash)
		if err != nil {
			return nil, fmt.Errorf("read %s (blob %s): %w", e.path, e.hash, err)
		}
		rd, err := blob.Reader()
		if err != nil {
			return nil, fmt.Errorf("read %s (blob %s): %w", e.path, e.hash, err)
		}
		b, err := io.ReadAll(rd)
		rd.Close()
		if err != nil {
			return nil, fmt.Errorf("read %s (blob %s): %w", e.path, e.hash, err)
		}
		f.Content = b
		files = append(files, f)
	}
	return files, nil
}

// headTree returns the tree of HEAD, or nil on an unborn branch.
func headTree(st *filesystem.Storage) (*object.Tree, error) {
	ref, err := storer.ResolveReference(st, plumbing.HEAD)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("resolve HEAD: %w", err)
	}
	c, err := object.GetCommit(st, ref.Hash())
	if err != nil {
		return nil, fmt.Errorf("read HEAD commit: %w", err)
	}
	t, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read HEAD tree: %w", err)
	}
	return t, nil
}

// changedVsTree keeps the entries whose blob differs from tree's at the same path or that tree lacks.
func changedVsTree(tree *object.Tree, ents []entry) []entry {
	if tree == nil {
		return ents
	}
	var out []entry
	for _, e := range ents {
		te, err := tree.FindEntry(e.path)
		if err != nil || te.Hash != e.hash || !isEntryMode(te.Mode) || kindOf(te.Mode) != e.kind {
			out = append(out, e)
		}
	}
	return out
}

// CommitFiles returns the matching files that commit rev added or modified compared with its first parent
// (for a root commit: all its matching files), with their content. It returns nil for a merge commit:
// drafts arriving by merge were delivered where they were committed. Only subtrees whose hashes differ
// are read.
func CommitFiles(r *Repo, rev string, match func(path string) bool) ([]File, error) {
	return commitFilesUnder(r, rev, "", match)
}

// commitFilesUnder is CommitFiles looking only under the path prefix under ("" = everywhere).
func commitFilesUnder(r *Repo, rev, under string, match func(string) bool) ([]File, error) {
	return commitFilesMax(r, rev, under, match, 0, true)
}

// commitFilesMax is commitFilesUnder reading no blob larger than max (0: no limit), nor any when
// !read.
func commitFilesMax(r *Repo, rev, under string, match func(string) bool, max int64, read bool) ([]File, error) {
	st := store(r)
	defer st.Close()
	h, err := resolve(st, rev)
	if err != nil {
		return nil, err
	}
	ents, err := commitEntries(st, h, under, match)
	if err != nil || len(ents) == 0 {
		return nil, err
	}
	if !read {
		return listed(ents), nil
	}
	return contents(st, ents, max)
}

// listed reports ents without reading anything.
func listed(ents []entry) []File {
	if len(ents) == 0 {
		return nil
	}
	files := make([]File, len(ents))
	for i, e := range ents {
		files[i] = File{Path: e.path, Blob: e.hash.String(), Kind: e.kind}
	}
	return files
}

// resolve turns HEAD, a full ref name, a branch or tag name, or a full hex id into a commit id.
func resolve(st *filesystem.Storage, rev string) (plumbing.Hash, error) {
	if plumbing.IsHash(rev) {
		return plumbing.NewHash(rev), nil
	}
	for _, name := range []string{rev, "refs/" + rev, "refs/tags/" + rev, "refs/heads/" + rev} {
		ref, err := storer.ResolveReference(st, plumbing.ReferenceName(name))
		if err == nil {
			if tag, err := object.GetTag(st, ref.Hash()); err == nil {
				c, err := tag.Commit()
				if err != nil {
					return plumbing.ZeroHash, fmt.Errorf("resolve %s: %w", rev, err)
				}
				return c.Hash, nil
			}
			return ref.Hash(), nil
		}
	}
	return plumbing.ZeroHash, fmt.Errorf("resolve %s: unknown revision", rev)
}

// commitEntries lists the matching blobs commit h added or modified against its first parent.
func commitEntries(st *filesystem.Storage, h plumbing.Hash, under string, match func(string) bool) ([]entry, error) {
	c, err := object.GetCommit(st, h)
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", h, err)
	}
	if len(c.ParentHashes) > 1 {
		return nil, nil
	}
	tree, err := object.GetTree(st, c.TreeHash)
	if err != nil {
		return nil, fmt.Errorf("read tree of %s: %w", h, err)
	}
	var base *object.Tree
	if len(c.ParentHashes) == 1 {
		p, err := object.GetCommit(st, c.ParentHashes[0])
		if err != nil {
			return nil, fmt.Errorf("read parent of %s: %w", h, err)
		}
		if base, err = object.GetTree(st, p.TreeHash); err != nil {
			return nil, fmt.Errorf("read tree of %s: %w", p.Hash, err)
		}
	}
	d := differ{st: st, under: under, match: match}
	if err := d.diff(base, tree, ""); err != nil {
		return nil, fmt.Errorf("diff %s: %w", h, err)
	}
	return d.out, nil
}

// differ compares trees top-down, descending only into subtrees whose hashes differ and that can hold a
// path under the prefix.
type differ struct {
	st    *filesystem.Storage
	under string
	match func(string) bool
	out   []entry
}

// diff records the matching blobs of b that are new or changed compared with a (nil: an empty tree).
func (d *differ) diff(a, b *object.Tree, dir string) error {
	for _, e := range b.Entries {
		p := e.Name
		if dir != "" {
			p = dir + "/" + e.Name
		}
		var old *object.TreeEntry
		if a != nil {
			if te, err := a.FindEntry(e.Name); err == nil {
				old = te
			}
		}
		if old != nil && old.Hash == e.Hash && old.Mode == e.Mode {
			continue
		}
		switch {
		case e.Mode == filemode.Dir:
			if d.under != "" && !strings.HasPrefix(p+"/", d.under) && !strings.HasPrefix(d.under, p+"/") {
				continue
			}
			sub, err := object.GetTree(d.st, e.Hash)
			if err != nil {
				return fmt.Errorf("read tree %s: %w", p, err)
			}
			var oldSub *object.Tree
			if old != nil && old.Mode == filemode.Dir {
				if oldSub, err = object.GetTree(d.st, old.Hash); err != nil {
					return fmt.Errorf("read tree %s: %w", p, err)
				}
			}
			if err := d.diff(oldSub, sub, p); err != nil {
				return err
			}
		case isEntryMode(e.Mode):
			if old != nil && old.Hash == e.Hash && kindOf(old.Mode) == kindOf(e.Mode) {
				continue // only the executable bit changed: same content
			}
			if strings.HasPrefix(p, d.under) && d.match(p) {
				d.out = append(d.out, entry{path: p, hash: e.Hash, kind: kindOf(e.Mode)})
			}
		}
	}
	return nil
}

// RewrittenFiles reads post-rewrite input ("old new [extra]" per line) and returns CommitFiles of every
// new commit that is not a merge, each (path, blob) once, in input order.
func RewrittenFiles(r *Repo, pairs io.Reader, match func(string) bool) ([]File, error) {
	return rewrittenFilesUnder(r, pairs, "", match, 0, true)
}

// rewrittenFilesUnder is RewrittenFiles looking only under the path prefix under, reading no blob
// larger than max (0: no limit), nor any when !read.
func rewrittenFilesUnder(r *Repo, pairs io.Reader, under string, match func(string) bool, max int64, read bool) ([]File, error) {
	st := store(r)
	defer st.Close()
	seen := map[entry]bool{}
	var ents []entry
	sc := bufio.NewScanner(pairs)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 || !plumbing.IsHash(f[1]) {
			return nil, fmt.Errorf("post-rewrite input: malformed line %q", sc.Text())
		}
		es, err := commitEntries(st, plumbing.NewHash(f[1]), under, match)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			if !seen[e] {
				seen[e] = true
				ents = append(ents, e)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("post-rewrite input: %w", err)
	}
	if !read {
		return listed(ents), nil
	}
	return contents(st, ents, max)
}
