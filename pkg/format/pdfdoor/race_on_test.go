//go:build race

package pdfdoor_test

// raceOn reports whether the tests run under the race detector.
const raceOn = true
