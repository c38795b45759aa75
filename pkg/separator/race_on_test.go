//go:build race

package separator_test

// textPages is how many generated pages TestNoSeparatorOnTextPages reads;
// fewer under the race detector, where pixel loops are ~20x slower.
const textPages = 4
