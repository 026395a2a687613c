// Package file is the built-in `file` provider: it "sends" a message by writing it as {dir}/{id}.md
// (the message file with its body), atomically. It needs no network and no configuration, so it is
// what `courier demo` and a fresh repository use end to end (README.md, "Configuration").
package file

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/monoco/courier/adapters"
	"github.com/monoco/courier/delivery/mailbox"
)

// Name is the provider name.
const Name = "file"

// Sender writes messages into one directory. It is safe for concurrent use.
type Sender struct {
	dir string
	now func() time.Time // stamps sent_at of the copy
}

// New returns a Sender writing into cfg.Dir (default DefaultDir), resolved against repoRoot when
// relative. The directory is created (0700) on the first send.
func New(cfg Config, repoRoot string) (*Sender, error) {
	dir := cfg.Dir
	if dir == "" {
		dir = DefaultDir
	}
	if !filepath.IsAbs(dir) {
		if repoRoot == "" {
			return nil, fmt.Errorf("file: relative dir %q needs a repository root", dir)
		}
		dir = filepath.Join(repoRoot, dir)
	}
	return &Sender{dir: filepath.Clean(dir), now: time.Now}, nil
}

// Dir is the directory messages are written to.
func (s *Sender) Dir() string { return s.dir }

// Check accepts every message: a file can hold anything.
func Check(*mailbox.Message) error { return nil }

// Send writes m as {dir}/{id}.md (mode 0600) through a temp file in dir, fsync and rename, then
// fsyncs dir; a reader never sees a partial file, and a resend replaces the file. The copy shows the
// message as sent (README.md, "Configuration": `status: sent`, `sent_at`, no pending retry), as the
// archived message will; m itself is not changed. It returns "file:" + the path as the provider message id. A message id that is not a
// safe file name is a permanent failure; I/O errors are transient.
func (s *Sender) Send(ctx context.Context, m *mailbox.Message) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", adapters.TransientCause(err, 0, "file: %v", err)
	}
	if !mailbox.ValidID(m.ID) {
		return "", adapters.Permanent("file: message id %q is not a valid file name", m.ID)
	}
	sent := *m
	sent.Status, sent.SentAt = mailbox.StatusSent, mailbox.Ptr(s.now())
	sent.NextRetryAt, sent.ErrorMessage = nil, nil
	data, err := payload(&sent)
	if err != nil {
		return "", adapters.Permanent("file: %v", err)
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return "", adapters.Transient(0, "file: %v", err)
	}
	path := filepath.Join(s.dir, m.ID+".md")
	if err := writeAtomic(s.dir, path, data); err != nil {
		return "", adapters.Transient(0, "file: write %s: %v", path, err)
	}
	return "file:" + path, nil
}

func writeAtomic(dir, path string, data []byte) error {
	f, err := os.CreateTemp(dir, ".courier-*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return mailbox.SyncDir(dir)
}
