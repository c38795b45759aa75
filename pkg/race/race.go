// Package race reports whether the binary was built with the race detector,
// as the standard library's internal/race does. Code that cannot run under
// the detector (an address-space limit: the detector reserves terabytes) and
// tests that scale their work down under it (pixel loops run about 20 times
// slower) read Enabled instead of keeping their own pair of build-tagged
// files.
package race
