//go:build race

package main

// raceMemoryFactor: see rssLimitMB.
const raceMemoryFactor = 3
