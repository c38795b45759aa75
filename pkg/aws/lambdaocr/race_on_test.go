//go:build race

package lambdaocr

const raceOn = true
