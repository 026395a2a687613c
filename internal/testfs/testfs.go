// Package testfs holds file-tree helpers shared by the tests of several packages. Only tests import
// it, so it never reaches a binary.
package testfs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// CopyTree copies the directories, regular files (with their modes and modification times) and
// symbolic links under src into dst, which exists. Keeping modification times keeps a copied git
// index's stat data true, so git does not re-hash every file of a copied repository.
func CopyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.Mkdir(target, info.Mode().Perm())
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := os.WriteFile(target, data, info.Mode().Perm()); err != nil {
				return err
			}
			return os.Chtimes(target, info.ModTime(), info.ModTime())
		default:
			return fmt.Errorf("%s: cannot copy a %v", p, d.Type())
		}
	})
}
