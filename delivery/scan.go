package delivery

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/monoco/courier/delivery/mailbox"
)

// scanAll lists outbound/: every provider directory is watched and, when it changed since its last
// complete listing (or force), listed. Known files are re-read only when their size or mtime changed.
func (en *engine) scanAll(force bool) {
	provs, err := os.ReadDir(en.outboundRoot())
	if err != nil {
		en.w.cfg.Logger.Error("listing outbound failed", "err", err)
		return
	}
	now := en.w.cfg.Now()
	for _, p := range provs {
		if p.IsDir() && !strings.HasPrefix(p.Name(), ".") {
			en.watchDir(p.Name())
			en.scanDir(p.Name(), force, now)
		}
	}
}

func (en *engine) watchDir(provider string) {
	if en.fsw == nil || en.watched[provider] {
		return
	}
	if err := en.fsw.Add(filepath.Join(en.outboundRoot(), provider)); err != nil {
		en.w.cfg.Logger.Warn("cannot watch provider directory; relying on rescans", "provider", provider, "err", err)
		return
	}
	en.watched[provider] = true
}

func (en *engine) scanDir(provider string, force bool, now time.Time) {
	dir := filepath.Join(en.outboundRoot(), provider)
	fi, err := os.Stat(dir)
	if err != nil {
		return
	}
	if last, ok := en.dirMod[provider]; ok && !force && fi.ModTime().Equal(last) {
		return
	}
	files, err := os.ReadDir(dir)
	if err != nil {
		en.w.cfg.Logger.Error("listing outbound failed", "provider", provider, "err", err)
		return
	}
	present := make(map[string]bool, len(files))
	for _, f := range files {
		if !mailbox.IsMessageName(f.Name()) {
			continue // a link, directory, FIFO or socket named *.md is indexed too: see dead-letters it
		}
		info, err := f.Info()
		if err != nil {
			continue
		}
		present[f.Name()] = true
		en.see(provider, f.Name(), info, now)
	}
	for _, e := range en.ix.entries {
		if e.provider == provider && !e.inflight && !present[e.name] {
			en.ix.remove(e)
		}
	}
	// Trust the directory mtime only once it is safely in the past: on a filesystem with coarse
	// timestamps a change in the same tick would otherwise go unseen.
	if time.Since(fi.ModTime()) > 2*time.Second {
		en.dirMod[provider] = fi.ModTime()
	} else {
		delete(en.dirMod, provider)
	}
}

// onEvent handles one file notification: a provider directory appearing, or a message file
// appearing, changing or leaving.
func (en *engine) onEvent(ev fsnotify.Event) {
	rel, err := filepath.Rel(en.outboundRoot(), ev.Name)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return
	}
	parts := strings.Split(rel, string(filepath.Separator))
	switch {
	case len(parts) == 1:
		if strings.HasPrefix(parts[0], ".") {
			return
		}
		if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
			en.watchDir(parts[0])
			en.scanDir(parts[0], true, en.w.cfg.Now())
		} else {
			delete(en.watched, parts[0])
		}
	case len(parts) == 2 && mailbox.IsMessageName(parts[1]):
		provider, name := parts[0], parts[1]
		info, err := os.Lstat(ev.Name)
		if err != nil {
			if e := en.ix.entries[entryKey(provider, name)]; e != nil && !e.inflight {
				en.ix.remove(e)
			}
			return
		}
		en.see(provider, name, info, en.w.cfg.Now())
	}
}

// see indexes one outbound entry, parsing it when it is new or changed. A file that cannot be parsed
// is due at once: the worker that claims it dead-letters it with the reason. A link, directory, FIFO
// or socket is never opened and a file over mailbox.MaxFileSize never read: each is due at once too,
// and dead-lettered from its Lstat alone.
func (en *engine) see(provider, name string, info fs.FileInfo, now time.Time) {
	k := entryKey(provider, name)
	e := en.ix.entries[k]
	if e != nil && (e.inflight || (e.mod.Equal(info.ModTime()) && e.size == info.Size())) {
		return
	}
	var due, created time.Time
	to := ""
	var deadline time.Time
	path := filepath.Join(en.outboundRoot(), provider, name)
	m, err := (*mailbox.Message)(nil), mailbox.CheckFile(path, info)
	if err == nil {
		en.parses++
		m, err = mailbox.Read(path)
	}
	switch {
	case err == nil:
		due, created = m.Due(), m.CreatedAt.Time
		deadline = m.FirstDue().Add(en.w.cfg.Retry.MaxAge)
		if len(m.To) > 0 {
			to = m.To[0]
		}
	case errors.Is(err, fs.ErrNotExist):
		if e != nil {
			en.ix.remove(e)
		}
		return
	}
	if e == nil {
		e = &entry{provider: provider, name: name}
		en.ix.entries[k] = e
	}
	en.ix.unready(e)
	e.ch = en.ix.channelFor(provider, to)
	e.created, e.deadline = created, deadline
	e.mod, e.size = info.ModTime(), info.Size()
	en.ix.place(e, due, now)
}
