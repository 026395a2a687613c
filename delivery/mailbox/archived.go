package mailbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// archiveDir is the cached listing of one archive/{provider}/ directory: the ids of its message
// files, valid while the directory's mtime is the one recorded.
type archiveDir struct {
	mod  time.Time
	ids  map[string]bool
	firm bool // mod was safely in the past when listed, so an unchanged mtime means unchanged names
}

// Archived reports whether a message with id has been sent: whether archive/ holds a message file
// named for it. Ids come from file names ({created_at}_{id}.md), so no file is read; a provider
// directory is listed again only when its mtime changed, so a call on an unchanged archive costs one
// listing of archive/ and one stat per provider. Safe for concurrent use.
func (mb *Mailbox) Archived(id string) (bool, error) {
	root := filepath.Join(mb.Root, string(Archive))
	provs, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("archived %s: %w", id, err)
	}
	mb.archMu.Lock()
	defer mb.archMu.Unlock()
	if mb.archived == nil {
		mb.archived = map[string]*archiveDir{}
	}
	found := false
	for _, p := range provs {
		if !p.IsDir() || strings.HasPrefix(p.Name(), ".") {
			continue
		}
		d, err := mb.archiveListing(filepath.Join(root, p.Name()), p.Name())
		if err != nil {
			return false, fmt.Errorf("archived %s: %w", id, err)
		}
		if d.ids[id] {
			found = true
		}
	}
	return found, nil
}

// archiveListing returns the cached listing of dir, listing it again when its mtime changed or was too
// recent to trust (a coarse-grained mtime may not change for a file added in the same tick).
func (mb *Mailbox) archiveListing(dir, provider string) (*archiveDir, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if d := mb.archived[provider]; d != nil && d.firm && d.mod.Equal(fi.ModTime()) {
		return d, nil
	}
	files, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	// An mtime with nanoseconds comes from a fine-grained clock; a whole-second one is trusted only
	// once it is safely in the past.
	d := &archiveDir{mod: fi.ModTime(), ids: make(map[string]bool, len(files)),
		firm: fi.ModTime().Nanosecond() != 0 || time.Since(fi.ModTime()) > 2*time.Second}
	for _, f := range files {
		if IsMessageName(f.Name()) {
			d.ids[IDFromName(f.Name())] = true
		}
	}
	mb.archived[provider] = d
	return d, nil
}
