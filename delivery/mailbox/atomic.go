package mailbox

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// WriteFileAtomic writes data to path so that a reader sees either the old file or the whole new one:
// a temp file in tmpDir (on the same filesystem), fsync, rename, fsync of the target directory.
// The file gets mode 0600.
func WriteFileAtomic(tmpDir, path string, data []byte) error {
	tmp, err := writeTemp(tmpDir, data)
	if err != nil {
		if tmp != "" {
			_ = os.Remove(tmp)
		}
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return SyncDir(filepath.Dir(path))
}

// writeTemp writes data to a new 0600 temp file in dir and fsyncs it. It returns the temp file's name
// (also on error, when the file was created: the caller removes it).
func writeTemp(dir string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, ".write-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return name, err
}

// RenameDurable renames from → to and fsyncs both directories, so the move survives a power cut.
func RenameDurable(from, to string) error {
	if err := os.Rename(from, to); err != nil {
		return err
	}
	if err := SyncDir(filepath.Dir(to)); err != nil {
		return err
	}
	if filepath.Dir(from) != filepath.Dir(to) {
		return SyncDir(filepath.Dir(from))
	}
	return nil
}

// SyncDir fsyncs a directory so that a rename or create inside it is durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

// RemoveStaleTemps deletes temp files that a crashed writer left in the mailbox's .tmp/ directory
// (older than age, so a write in progress elsewhere is never touched) and returns how many it removed.
func (mb *Mailbox) RemoveStaleTemps(age time.Duration, now time.Time) (int, error) {
	ents, err := os.ReadDir(mb.TmpDir())
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range ents {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || now.Sub(info.ModTime()) < age {
			continue
		}
		if os.Remove(filepath.Join(mb.TmpDir(), e.Name())) == nil {
			n++
		}
	}
	return n, nil
}
