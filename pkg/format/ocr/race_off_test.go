//go:build !race

package ocr_test

const raceOn = false
