//go:build unix

package metrics

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// LockDatabase takes a lock on the file beside the database (its path
// with ".lock"): shared by every process that uses the database (the
// server, imports, backups), exclusive for a restore, which must not
// replace the file under a process that keeps writing to the old one.
// The lock goes with the process, however it ends.
func LockDatabase(path string, exclusive bool) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create database folder: %w", err)
	}
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the database: %w", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", path, ErrDatabaseInUse)
		}
		return nil, fmt.Errorf("lock the database: %w", err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
