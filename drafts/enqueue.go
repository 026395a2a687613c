package drafts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/monoco/courier/delivery/mailbox"
)

// ioWorkers bounds the concurrent file writes of one run. fsync dominates delivery time; issuing
// them concurrently lets the filesystem commit many in one journal transaction.
const ioWorkers = 32

// parallel runs f(0..n-1) on up to ioWorkers goroutines and returns the first error (after every
// call has returned).
func parallel(n int, f func(i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  int
	)
	for range min(n, ioWorkers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// enqueueBatch is mailbox.Enqueue for several messages with the same guarantees (sealed, a reader
// never sees a partial file, durable once it returns) at a fraction of the fsyncs: every message is
// sealed, written to a temp file in the mailbox and fsynced concurrently; then the files are renamed
// into outbound/{provider}/ one by one in the order given, so that a watcher sees them in created_at
// order; then each directory is fsynced once. It returns the paths in the order of ms. On error, the
// messages already renamed stay enqueued (their paths are returned) and the rest are removed.
func enqueueBatch(mb *mailbox.Mailbox, ms []*mailbox.Message) ([]string, error) {
	sealer, err := mb.Sealer()
	if err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	dirs := map[string]string{}
	final := make([]string, len(ms))
	for i, m := range ms {
		if !mailbox.ValidID(m.ID) {
			return nil, fmt.Errorf("enqueue: invalid message id %q", m.ID)
		}
		dir, ok := dirs[m.Provider]
		if !ok {
			if dir, err = mb.EnsureDir(mailbox.Outbound, m.Provider); err != nil {
				return nil, fmt.Errorf("enqueue %s: %w", m.ID, err)
			}
			dirs[m.Provider] = dir
		}
		final[i] = filepath.Join(dir, mailbox.FileName(m))
	}
	temps := make([]string, len(ms))
	cleanup := func(from int) {
		for _, t := range temps[from:] {
			if t != "" {
				_ = os.Remove(t)
			}
		}
	}
	err = parallel(len(ms), func(i int) error {
		sealer.Seal(ms[i])
		data, err := mailbox.Marshal(ms[i])
		if err != nil {
			return fmt.Errorf("enqueue %s: %w", ms[i].ID, err)
		}
		t, err := writeTemp(mb.TmpDir(), data)
		temps[i] = t
		if err != nil {
			return fmt.Errorf("enqueue %s: %w", ms[i].ID, err)
		}
		return nil
	})
	if err != nil {
		cleanup(0)
		return nil, err
	}
	for i := range ms {
		if err := os.Rename(temps[i], final[i]); err != nil {
			cleanup(i)
			return final[:i], errors.Join(fmt.Errorf("enqueue %s: %w", ms[i].ID, err), syncDirs(dirs))
		}
	}
	if err := syncDirs(dirs); err != nil {
		return final, fmt.Errorf("enqueue: %w", err)
	}
	return final, nil
}

// writeTemp writes data to a new 0600 temp file in dir and fsyncs it.
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

func syncDirs(dirs map[string]string) error {
	var errs []error
	for _, d := range dirs {
		if err := mailbox.SyncDir(d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
