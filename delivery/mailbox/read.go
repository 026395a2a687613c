package mailbox

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// MaxFileSize is the largest message file Read accepts: a draft's frontmatter (64 KiB) and body
// (1 MiB) plus room for the stamped and watcher-updated fields. A larger file is refused from its
// size alone, before any byte of it is read.
const MaxFileSize = 2 << 20

// Errors of Read that callers branch on.
var (
	ErrNotRegular   = errors.New("not a regular file (a link or special file was not enqueued by courier); never read or sent")
	ErrFileTooLarge = errors.New("message file too large")
)

// Read parses the message file at path. It never blocks and never reads more than MaxFileSize bytes:
// a link, directory, FIFO or socket yields ErrNotRegular and a file over MaxFileSize ErrFileTooLarge,
// both decided by Lstat before the file is opened (and checked again on the open file).
func Read(path string) (*Message, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	m, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return m, nil
}

func readLimited(path string) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if err := checkFile(path, fi); err != nil {
		return nil, err
	}
	// O_NONBLOCK: a FIFO swapped in after the Lstat must not block the open.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := checkFile(path, fi); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: %w: more than %d bytes", filepath.Base(path), ErrFileTooLarge, MaxFileSize)
	}
	return data, nil
}

func checkFile(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: %w", filepath.Base(path), ErrNotRegular)
	}
	if fi.Size() > MaxFileSize {
		return fmt.Errorf("%s: %w: %d bytes (limit %d)", filepath.Base(path), ErrFileTooLarge, fi.Size(), MaxFileSize)
	}
	return nil
}

// CheckFile reports, from fi (an Lstat) alone, why the message file at path must not be read: it is
// not a regular file (ErrNotRegular) or it is over MaxFileSize (ErrFileTooLarge). nil when it may be.
func CheckFile(path string, fi fs.FileInfo) error { return checkFile(path, fi) }

// ReasonPath is the dot-named sidecar that holds the dead-letter reason of the file at path, a file
// too broken to carry the reason in its own error_message.
func ReasonPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".reason")
}

// ReadReason returns the dead-letter reason in the sidecar of the file at path ("" when it has none).
func ReadReason(path string) string {
	f, err := os.Open(ReasonPath(path))
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 64<<10))
	return strings.TrimSpace(string(b))
}
