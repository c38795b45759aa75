//go:build !race

package scan_test

// testDPI is the scanning resolution of generated test dossiers (see race_on_test.go).
const testDPI = 200
