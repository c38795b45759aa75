//go:build race

package separator_test

// textPages is how many generated pages TestNoSeparatorOnTextPages reads;
// fewer under the race detector, where pixel loops are ~20x slower.
const textPages = 4

// raceOn: QR decoding of whole pages is ~20x slower under the race detector;
// TestDecode runs in make test's race-free pass.
const raceOn = true
