//go:build race

package main

// raceEnabled: the race detector slows pure-Go JPEG decoding about 15-fold;
// these end-to-end tests run in make test's race-free pass (make heavy).
const raceEnabled = true
