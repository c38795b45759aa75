//go:build race

package pdfdoor

const raceEnabled = true
