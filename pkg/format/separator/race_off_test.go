//go:build !race

package separator_test

// textPages: see race_on_test.go.
const textPages = 12

const raceOn = false
