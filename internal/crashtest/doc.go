// Package crashtest holds end-to-end tests that run the real needle binary: a crash test that
// kills it with SIGKILL in the middle of concurrent acknowledged writes and checks that nothing
// acknowledged is lost and no batch is half-applied, and a damage test that corrupts files at
// random offsets and checks the server neither panics nor serves wrong data.
//
// CRASH_ROUNDS sets the number of kill/restart rounds (default 20; `make crash` runs more).
package crashtest
