package scan_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

var fixtures = sync.OnceValues(func() (map[string][]byte, error) {
	good, err := scantest.Dossier(scantest.Spec{Seed: 42, DPI: testDPI, Sheets: []scantest.Sheet{
		scantest.Separator("TK-01", "Tờ khai"), scantest.Text("Tờ khai"), scantest.Text("Tờ khai"),
	}})
	if err != nil {
		return nil, err
	}
	return scantest.Hostile(good, testDPI)
})

func TestHostileInput(t *testing.T) {
	fx, err := fixtures()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		code string // "" means: accepted and sanitized; "one page": accepted with one page
		page int
	}{
		{"empty", scan.CodeUnreadable, 0},
		{"random", scan.CodeUnsupported, 0},
		{"html", scan.CodeUnsupported, 0},
		{"pdf-header-random", scan.CodeUnreadable, 0},
		{"truncated", scan.CodeUnreadable, 0},
		{"truncated-tail", scan.CodeUnreadable, 0},
		{"encrypted", scan.CodeEncrypted, 0},
		{"corrupt-jpeg", scan.CodeUnreadable, 2},
		{"huge-jpeg", scan.CodeImageTooLarge, 1},
		{"huge-image", scan.CodeImageTooLarge, 1},
		{"flate-bomb", scan.CodeImageTooLarge, 1},
		{"page-loop", "one page", 0}, // qpdf and poppler open it: one page, the loop skipped
		{"count-lie", scan.CodePageTree, 0},
		{"count-lie-page", "one page", 0},
		{"no-count", "one page", 0},
		{"no-pages", scan.CodeNoPages, 0},
		{"encrypted-truncated", scan.CodeEncrypted, 0},
		{"5000-pages", scan.CodeTooManyPages, 0},
		{"javascript", "", 0},
	}
	for _, isolated := range []bool{false, true} {
		for _, tt := range tests {
			name := tt.name
			if isolated {
				name = "isolated/" + name
			}
			t.Run(name, func(t *testing.T) {
				lim := scan.DefaultLimits()
				lim.Timeout = 20 * time.Second
				lim.MaxMemory = 1 << 30
				split := scan.Split
				if isolated {
					split = scan.SplitIsolated
				}
				start := time.Now()
				res, err := split(context.Background(), fx[tt.name], lim)
				if d := time.Since(start); d > 15*time.Second {
					t.Logf("took %s", d) // reported, not asserted: timing depends on the machine
				}
				if tt.code == "one page" {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					// The page draws nothing: a blank page of the one component.
					if len(res.Pages) != 1 || len(res.Components) != 1 || len(res.Components[0].Blank) != 1 || !res.Components[0].AllBlank() {
						t.Fatalf("%d pages, components %+v; want one blank page in one component", len(res.Pages), res.Components)
					}
					return
				}
				if tt.code == "" {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					checkSanitized(t, res)
					return
				}
				if err != nil {
					t.Logf("%.300s", err)
				}
				var se *scan.Error
				if !asError(err, &se) {
					t.Fatalf("err = %v (%T), want *scan.Error %s", err, err, tt.code)
				}
				if se.Code != tt.code || (tt.page != 0 && se.Page != tt.page) {
					t.Errorf("code %s page %d, want %s page %d (%v)", se.Code, se.Page, tt.code, tt.page, err)
				}
				if se.Message == "" || strings.ContainsAny(se.Message[:1], "abcdefghijklmnopqrstuvwxyz") {
					t.Errorf("message %q is not a sentence for the clerk", se.Message)
				}
			})
		}
	}
}

// checkSanitized checks that components of an active-content scan were
// rebuilt without any of it.
func checkSanitized(t *testing.T, res *scan.Result) {
	t.Helper()
	if !res.Sanitized {
		t.Error("active content not detected")
	}
	if len(res.Components) != 1 || len(res.Components[0].Pages) != 2 {
		t.Fatalf("%d components, first with pages %v", len(res.Components), res.Components[0].Pages)
	}
	for _, c := range res.Components {
		checkPDF(t, c.PDF, len(c.Pages))
		found, err := scantest.ActiveContent(c.PDF)
		if err != nil || len(found) > 0 {
			t.Errorf("component %s still carries active content %v (%v)", c.Code, found, err)
		}
	}
}

func asError(err error, target **scan.Error) bool { return errors.As(err, target) }

// TestActiveContentChecker: the checker the sanitizing tests rely on sees the
// active content of the fixture, and none in a clean scan.
func TestActiveContentChecker(t *testing.T) {
	fx, err := fixtures()
	if err != nil {
		t.Fatal(err)
	}
	found, err := scantest.ActiveContent(fx["javascript"])
	if err != nil || len(found) < 4 {
		t.Fatalf("ActiveContent(javascript) = %v, %v; want the open action, name tree, page action and link", found, err)
	}
	if found, err := scantest.ActiveContent(fx["good"]); err != nil || len(found) != 0 {
		t.Fatalf("ActiveContent(good) = %v, %v", found, err)
	}
}
