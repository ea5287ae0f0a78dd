//go:build race

package hnsw

// raceEnabled scales tests down under the race detector (10x slower).
const raceEnabled = true
