//go:build unix

package main

import "syscall"

// ownerOnlyFiles makes every file and folder the process creates
// (database, write-ahead log, backups, uploads, temporary files)
// readable by its owner only, whatever the library creating it asks
// for: they hold password, session and token hashes and unpublished
// data.
func ownerOnlyFiles() { syscall.Umask(0o077) }
