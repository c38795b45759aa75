//go:build race

package scan_test

// testDPI is the scanning resolution of generated test dossiers. Under the
// race detector pixel loops run ~20x slower, so race runs scan at 100 dpi:
// they look for data races, not for detection quality.
const testDPI = 100

// raceOn reports whether the tests run under the race detector.
const raceOn = true
