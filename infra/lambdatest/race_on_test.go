//go:build race

package lambdatest

const raceOn = true
