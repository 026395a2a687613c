package hooks

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockDir takes an exclusive flock(2) on directory dir and returns the function that releases it.
// [Install] and [Uninstall] plan and carry out their changes under it, so that two runs at once (two
// agents installing from two worktrees) cannot both move the same foreign hook aside, the second one
// renaming courier's fresh hook over the preserved one. Locking the directory itself leaves no lock
// file behind, and the lock dies with the process.
func lockDir(dir string) (func(), error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return func() { f.Close() }, nil // closing the last descriptor releases the lock
}
