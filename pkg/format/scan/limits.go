package scan

import "time"

// DefaultMaxBytes is the largest scan accepted by default. A dossier's upload
// limit defaults to it, so that a scan accepted at upload is not refused as
// too large by the split.
const DefaultMaxBytes = 256 << 20

// Limits bounds the work Split does on untrusted bytes.
type Limits struct {
	MaxBytes  int64         // largest accepted file
	MaxPages  int           // most pages in one scan
	MaxPixels int64         // most pixels in one page image (declared dimensions, checked before decoding)
	Timeout   time.Duration // wall-clock time for the whole split, plus PageTime a page
	// PageTime is the time added to Timeout for each page of the scan, so a
	// legitimate long scan (300 pages) is never cut short by a budget sized
	// for a short one.
	PageTime time.Duration
	// MaxMemory is the memory budget of SplitIsolated's child process
	// (Go memory limit and address-space limit). Split ignores it.
	MaxMemory int64
	// ThumbBytes is the most bytes of page images (Component.Thumbs) that
	// SplitIsolated's child renders for one scan, within the split's time
	// budget; 0 renders none. Split ignores it.
	ThumbBytes int64
}

// DefaultLimits returns limits for a counter scan: 256 MiB, 1000 pages, 40
// megapixels a page (A4 at 600 dpi is 35 MP), two minutes plus half a second a
// page (several times what decoding and measuring a page costs, so only a
// hostile or broken file runs out of it), 2 GiB in the child, 320 MiB of
// page images.
func DefaultLimits() Limits {
	return Limits{
		MaxBytes:  DefaultMaxBytes,
		MaxPages:  1000,
		MaxPixels: 40_000_000,
		Timeout:   2 * time.Minute,
		PageTime:  500 * time.Millisecond,
		MaxMemory: 2 << 30,
		// A page shown as scanned is its own JPEG (up to 600 KB), a rendered
		// large view 60–150 KB: a whole scan of MaxBytes fits.
		ThumbBytes: 320 << 20,
	}
}

func (l Limits) valid() bool {
	return l.MaxBytes > 0 && l.MaxPages > 0 && l.MaxPixels > 0 && l.Timeout > 0 && l.PageTime >= 0
}

// Budget is the time a scan of pages pages may take: Timeout plus PageTime a page.
func (l Limits) Budget(pages int) time.Duration {
	return l.Timeout + l.PageTime*time.Duration(max(pages, 0))
}

// MinDPI is the lowest acceptable scanning resolution: Circular 01/2023/TT-VPCP
// (digitisation of administrative-procedure dossiers) and Circular
// 02/2019/TT-BNV require at least 200 dpi for digitised papers. Split only
// measures Page.DPI; the caller turns a lower value into a finding.
const MinDPI = 200

// DPITolerance absorbs rounding in page sizes (an A4 page at exactly 200 dpi
// measures 199.9–200.1 depending on how the scanner rounds the page box).
const DPITolerance = 2

// Blank detection. Ink is the fraction of dark pixels (below BlankDarkLevel)
// inside the page minus a BlankMargin border, measured on the page reduced by
// about 4 with a box filter, so dust specks and JPEG noise average away.
// Measured on generated 200-dpi scans (package scantest): text pages
// ≥ 0.036, blank pages with dust 0.0000. A page is blank below BlankInk.
// These are our own thresholds, not from a regulation; tune them on real scans
// (punch holes, edge shadows and show-through raise the ink of blank pages).
const (
	BlankDarkLevel = 128
	BlankMargin    = 0.05
	BlankInk       = 0.002
)
