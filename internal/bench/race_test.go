//go:build race

package bench

// raceEnabled: the race detector's shadow memory grows and shrinks with the heap, so resident
// memory checks are left to the run without it (make unit runs them).
const raceEnabled = true
