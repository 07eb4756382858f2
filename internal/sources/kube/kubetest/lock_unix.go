//go:build unix

package kubetest

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive lock on path, waiting for other processes to release it.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		_ = f.Close() // the lock error is the one to report
		return nil, err
	}
	// The lock file is never written: closing it loses nothing, and releases the lock even if unlocking failed.
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); _ = f.Close() }, nil
}
