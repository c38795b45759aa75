//go:build race

package dossier_test

// raceEnabled: the race detector slows pure-Go JPEG decoding about 15-fold, so
// scan-heavy tests run in make test's second, race-free pass.
const raceEnabled = true
