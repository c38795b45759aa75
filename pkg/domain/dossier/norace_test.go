//go:build !race

package dossier_test

const raceEnabled = false
