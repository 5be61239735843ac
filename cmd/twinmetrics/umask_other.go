//go:build !unix

package main

func ownerOnlyFiles() {}
