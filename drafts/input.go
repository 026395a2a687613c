package drafts

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/monoco/courier/delivery/mailbox"
)

// Size limits of a draft (README.md, "Drafts").
const (
	MaxFrontmatter = mailbox.MaxFrontmatter // 64 KiB
	MaxBody        = 1 << 20                // 1 MiB
	// maxFile bounds what LoadInput reads: both limits plus the delimiter lines.
	maxFile = MaxFrontmatter + MaxBody + 64
)

// Input is one draft to validate or deliver.
type Input struct {
	Path    string // relative to the repository, slash-separated
	Content []byte
	Blob    string // git blob id of Content; computed when ""
}

func (in *Input) blob() string {
	if in.Blob == "" {
		in.Blob = BlobID(in.Content)
	}
	return in.Blob
}

// BlobID is the git blob id (SHA-1 of "blob <len>\x00" + content) of content.
func BlobID(content []byte) string {
	h := sha1.New()
	h.Write([]byte("blob " + strconv.Itoa(len(content)) + "\x00"))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// LoadInput reads the working-tree draft at p: an absolute path, or one relative to wd (the directory
// the user works in, e.g. after `courier -C DIR`; "" means the process's current directory), or else
// to repoTop. A draft that is a symbolic link (wherever it points), is not a regular
// file, lies outside the repository or is larger than the limits allow is rejected with a
// *ValidationError; other failures (a missing file, permissions) are plain errors.
func LoadInput(repoTop, wd, p string) (Input, error) {
	top, err := filepath.EvalSymlinks(repoTop)
	if err != nil {
		return Input{}, fmt.Errorf("repository %s: %w", repoTop, err)
	}
	top, err = filepath.Abs(top)
	if err != nil {
		return Input{}, fmt.Errorf("repository %s: %w", repoTop, err)
	}
	abs := p
	if !filepath.IsAbs(p) {
		if wd == "" {
			if wd, err = os.Getwd(); err != nil {
				return Input{}, fmt.Errorf("draft %s: %w", p, err)
			}
		}
		if abs, err = filepath.Abs(filepath.Join(wd, p)); err != nil {
			return Input{}, fmt.Errorf("draft %s: %w", p, err)
		}
		if _, err := os.Lstat(abs); err != nil {
			if alt := filepath.Join(top, p); alt != abs {
				if _, err2 := os.Lstat(alt); err2 == nil {
					abs = alt
				}
			}
		}
	}
	display := filepath.ToSlash(p)
	// Resolve the directory (a symlinked parent is fine as long as it stays inside), never the file.
	dir, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return Input{}, notFound(display, err)
	}
	full := filepath.Join(dir, filepath.Base(abs))
	rel, err := filepath.Rel(top, full)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return Input{}, &ValidationError{File: display, Msg: "draft is outside the repository " + repoTop}
	}
	rel = filepath.ToSlash(rel)
	fi, err := os.Lstat(full)
	if err != nil {
		return Input{}, notFound(rel, err)
	}
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		return Input{}, &ValidationError{File: rel, Msg: "draft is a symbolic link; only regular files are read"}
	case !fi.Mode().IsRegular():
		return Input{}, &ValidationError{File: rel, Msg: "draft is not a regular file"}
	}
	if fi.Size() > maxFile { // rejected from its size alone, before anything is read
		return Input{}, tooLarge(rel, fi.Size())
	}
	// O_NONBLOCK: a FIFO swapped in since the Lstat does not block the open; the fstat refuses it.
	f, err := os.OpenFile(full, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return Input{}, &ValidationError{File: rel, Msg: "draft is a symbolic link; only regular files are read"}
		}
		return Input{}, fmt.Errorf("draft %s: %w", rel, err)
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return Input{}, fmt.Errorf("draft %s: %w", rel, err)
	}
	if !fi.Mode().IsRegular() {
		return Input{}, &ValidationError{File: rel, Msg: "draft is not a regular file"}
	}
	// Never more than the limit is read, even from a file that grows meanwhile.
	data, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return Input{}, fmt.Errorf("draft %s: %w", rel, err)
	}
	if len(data) > maxFile {
		return Input{}, tooLarge(rel, int64(len(data)))
	}
	return Input{Path: rel, Content: data, Blob: BlobID(data)}, nil
}

// tooLarge is the one-line error for a draft of size bytes, over the limits.
func tooLarge(rel string, size int64) *ValidationError {
	return &ValidationError{File: rel, Field: "body", Msg: fmt.Sprintf(
		"draft is %d bytes, larger than the %d bytes a draft may have (frontmatter ≤ 64 KiB, body ≤ 1 MiB)", size, maxFile)}
}

// notFound words a failed lookup of a draft without repeating its path: "draft d.md: file does not exist".
func notFound(display string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("draft %s: %w", display, fs.ErrNotExist)
	}
	return fmt.Errorf("draft %s: %w", display, err)
}
