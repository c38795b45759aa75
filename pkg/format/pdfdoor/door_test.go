package pdfdoor_test

import (
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/race"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/pades/padestest"
	"github.com/sohoa/sohoa/pkg/format/pdfdoor"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
	"github.com/sohoa/sohoa/pkg/testkit/pdfcorpus"
)

func TestMain(m *testing.M) {
	pdfdoor.RunChildIfRequested()
	os.Exit(m.Run())
}

// noSize returns a one-page PDF whose trailer has no /Size.
func noSize() []byte {
	s := string(scantest.NestedArrays(1))
	i := strings.LastIndex(s, "/Size")
	return []byte(s[:i] + "      " + s[i+len("/Size 4"):i+len("/Size 4")] + s[i+len("/Size 4"):])
}

// TestHostilePDFsThroughTheDoor posts hostile PDFs to both child operations:
// each answer is a verdict or a 4xx-kind error, never a crash of this
// process, never a 5xx kind.
func TestHostilePDFsThroughTheDoor(t *testing.T) {
	cases := map[string][]byte{
		"nested arrays 200 deep":   scantest.NestedArrays(200),
		"nested arrays 10000 deep": scantest.NestedArrays(10000),
		"good one-page result":     padestest.PDF(1, false),
		"header only":              []byte("%PDF-1.7\n%%EOF\n"),
		"cut in half":              padestest.PDF(1, false)[:600],
		"not a PDF":                []byte("<html>hello</html>"),
		"nested dictionaries 5000": scantest.NestedDicts(5000),
	}
	var corpus []string
	if !race.Enabled { // each file starts two children: minutes under the race detector; make heavy runs them
		corpus = pdfcorpus.Optional(t)
	}
	for _, f := range corpus {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases["corpus "+filepath.Base(f)] = b
	}
	lim := pdfdoor.DefaultLimits()
	for name, pdf := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			out, err := pdfdoor.CheckResult(ctx, pdf, lim)
			if k := errs.KindOf(err); err != nil && (k == errs.Internal || k == errs.Unavailable) {
				t.Errorf("check-result: a 5xx kind %v: %v", k, err)
			}
			if err == nil && len(out) == 0 {
				t.Errorf("check-result accepted and returned nothing")
			}
			if err != nil {
				t.Logf("check-result refused (%v): %v", errs.KindOf(err), err)
			} else if len(out) != len(pdf) {
				t.Logf("check-result repaired the file (%d → %d bytes)", len(pdf), len(out))
			}
			rep, err := pdfdoor.Verify(ctx, pdf, []*x509.Certificate{}, lim)
			if k := errs.KindOf(err); err != nil && (k == errs.Internal || k == errs.Unavailable) {
				t.Errorf("verify: a 5xx kind %v: %v", k, err)
			}
			if err == nil && rep.Valid {
				t.Errorf("verify without trust anchors says valid")
			}
		})
	}
	if _, err := pdfdoor.CheckResult(context.Background(), scantest.NestedArrays(200), lim); errs.KindOf(err) != errs.Unprocessable {
		t.Errorf("the 200-deep nested array: %v, want unprocessable", err)
	}
	// A damaged result (no /Size in its trailer) is refused at upload with
	// the reason, not accepted and failed at signing time.
	if _, err := pdfdoor.CheckResult(context.Background(), noSize(), lim); errs.KindOf(err) != errs.Unprocessable || !strings.Contains(err.Error(), "Size") {
		t.Errorf("a trailer without /Size: %v, want unprocessable naming /Size", err)
	}
	if _, err := pdfdoor.CheckResult(context.Background(), padestest.PDF(1, false), lim); err != nil {
		t.Errorf("a good result is refused: %v", err)
	}
}

// BenchmarkVerify1Page measures the door's cost on a 1-page scan
// result: a child process started, the PDF read and verified, the answer read.
func BenchmarkVerify1Page(b *testing.B) {
	pdf := padestest.PDF(1, true)
	lim := pdfdoor.DefaultLimits()
	b.SetBytes(int64(len(pdf)))
	for b.Loop() {
		if _, err := pdfdoor.Verify(context.Background(), pdf, nil, lim); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckResult1Page measures the upload check of a 1-page result
// (child, trial signature, verification of it).
func BenchmarkCheckResult1Page(b *testing.B) {
	pdf := padestest.PDF(1, true)
	lim := pdfdoor.DefaultLimits()
	b.SetBytes(int64(len(pdf)))
	for b.Loop() {
		if _, err := pdfdoor.CheckResult(context.Background(), pdf, lim); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPDFDoorTimeLimit: a file that takes longer than the limit is the
// file's 422, not a 503 or a 500.
func TestPDFDoorTimeLimit(t *testing.T) {
	lim := pdfdoor.DefaultLimits()
	lim.Timeout = time.Nanosecond // over before the child starts reading
	for name, run := range map[string]func() error{
		"check-result": func() error {
			_, err := pdfdoor.CheckResult(context.Background(), padestest.PDF(3, true), lim)
			return err
		},
		"verify": func() error {
			_, err := pdfdoor.Verify(context.Background(), padestest.PDF(3, true), nil, lim)
			return err
		},
	} {
		if err := run(); errs.KindOf(err) != errs.Unprocessable {
			t.Errorf("%s: %v (%v), want unprocessable", name, err, errs.KindOf(err))
		}
	}
}
