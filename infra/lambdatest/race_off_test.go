//go:build !race

package lambdatest

const raceOn = false
