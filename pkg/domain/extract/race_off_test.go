//go:build !race

package extract_test

const raceOn = false
