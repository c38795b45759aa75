//go:build !race

package scan_test

// testDPI is the scanning resolution of generated test dossiers (see race_on_test.go).
const testDPI = 200

// raceOn reports whether the tests run under the race detector.
const raceOn = false
