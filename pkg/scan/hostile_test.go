package scan_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/sohoa/sohoa/pkg/scan"
	"github.com/sohoa/sohoa/pkg/scan/scantest"
)

// rawPDF assembles objects 1..n (bodies without "n 0 obj") with a correct
// xref table; object 1 must be the catalog.
func rawPDF(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, x)
	return b.Bytes()
}

func stream(dict string, data []byte) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

func deflate(data []byte) []byte {
	var b bytes.Buffer
	w, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// zeros deflates n zero bytes without holding them in memory.
func zeros(n int) []byte {
	var b bytes.Buffer
	w, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
	chunk := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(chunk))
		w.Write(chunk[:k])
		n -= k
	}
	w.Close()
	return b.Bytes()
}

var fixtures = sync.OnceValues(func() (map[string][]byte, error) {
	m := map[string][]byte{}
	good, err := scantest.Dossier(scantest.Spec{Seed: 42, DPI: testDPI, Sheets: []scantest.Sheet{
		scantest.Separator("TK-01", "Tờ khai"), scantest.Text("Tờ khai"), scantest.Text("Tờ khai"),
	}})
	if err != nil {
		return nil, err
	}
	m["good"] = good

	var enc bytes.Buffer
	conf := model.NewAESConfiguration("mật-khẩu", "chủ", 256)
	if err := api.Encrypt(bytes.NewReader(good), &enc, conf); err != nil {
		return nil, err
	}
	m["encrypted"] = enc.Bytes()

	// Active content: document JavaScript, an open action, a page action and a link.
	ctx, err := api.ReadAndValidate(bytes.NewReader(good), model.NewDefaultConfiguration())
	if err != nil {
		return nil, err
	}
	js := types.Dict{"S": types.Name("JavaScript"), "JS": types.StringLiteral("app.alert('pwned')")}
	ctx.RootDict["OpenAction"] = js
	ctx.RootDict["Names"] = types.Dict{"JavaScript": types.Dict{"Names": types.Array{types.StringLiteral("x"), js}}}
	for i := 1; i <= ctx.PageCount; i++ {
		d, _, _, err := ctx.PageDict(i, false)
		if err != nil {
			return nil, err
		}
		d["AA"] = types.Dict{"O": types.Dict{"S": types.Name("Launch"), "F": types.StringLiteral("cmd.exe")}}
		d["Annots"] = types.Array{types.Dict{"Type": types.Name("Annot"), "Subtype": types.Name("Link"),
			"Rect": types.Array{types.Integer(0), types.Integer(0), types.Integer(100), types.Integer(100)},
			"A":    types.Dict{"S": types.Name("JavaScript"), "JS": types.StringLiteral("app.launchURL('http://evil')")}}}
	}
	var active bytes.Buffer
	if err := api.WriteContext(ctx, &active); err != nil {
		return nil, err
	}
	m["javascript"] = active.Bytes()

	// A page whose JPEG stream is cut in the middle.
	jp, err := scantest.JPEGs(scantest.Spec{Seed: 1, DPI: testDPI, Sheets: []scantest.Sheet{scantest.Text("a"), scantest.Text("b")}})
	if err != nil {
		return nil, err
	}
	cut := append(bytes.Clone(jp[1][:len(jp[1])/3]), 0xFF, 0xD9)
	corrupt, err := scantest.PDF([][]byte{jp[0], cut})
	if err != nil {
		return nil, err
	}
	m["corrupt-jpeg"] = corrupt
	m["jpeg"] = jp[0]

	// A JPEG that claims 60000×60000 pixels.
	var small bytes.Buffer
	jpeg.Encode(&small, image.NewGray(image.Rect(0, 0, 16, 16)), nil)
	huge := small.Bytes()
	if i := bytes.Index(huge, []byte{0xFF, 0xC0}); i > 0 {
		huge[i+5], huge[i+6], huge[i+7], huge[i+8] = 0xEA, 0x60, 0xEA, 0x60
	}
	m["huge-jpeg"] = huge

	page := func(img string) string {
		return "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 " + img + " >> >> /Contents 4 0 R >>"
	}
	draw := stream("", []byte("q 595 0 0 842 0 0 cm /Im0 Do Q"))
	// An image that declares 20000×20000 pixels (a 400-megapixel decode).
	m["huge-image"] = rawPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		page("5 0 R"), draw,
		stream("/Type /XObject /Subtype /Image /Width 20000 /Height 20000 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode", zeros(1<<20)))
	// Double-Flate bomb: a few hundred bytes that inflate to 64 MiB in an allowed-size image.
	m["flate-bomb"] = rawPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		page("5 0 R"), draw,
		stream("/Type /XObject /Subtype /Image /Width 5000 /Height 5000 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter [/FlateDecode /FlateDecode]", deflate(zeros(1<<26))))
	// Page tree whose Kids contain the tree itself.
	m["page-loop"] = rawPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>")
	// 5000 empty pages.
	kids := make([]string, 5000)
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", ""}
	for i := range kids {
		kids[i] = fmt.Sprintf("%d 0 R", i+3)
		objs = append(objs, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>")
	}
	objs[1] = "<< /Type /Pages /Kids [" + strings.Join(kids, " ") + "] /Count 5000 >>"
	m["5000-pages"] = rawPDF(objs...)

	rnd := make([]byte, 64<<10)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range rnd {
		rnd[i] = byte(r.Uint32())
	}
	m["random"] = rnd
	m["pdf-header-random"] = append([]byte("%PDF-1.7\n"), append(rnd, []byte("\n%%EOF\n")...)...)
	m["truncated"] = good[:len(good)/2]
	m["truncated-tail"] = good[:len(good)-200]
	m["html"] = []byte("<!DOCTYPE html><html><body><h1>404 Not Found</h1></body></html>")
	m["empty"] = nil
	return m, nil
})

func TestHostileInput(t *testing.T) {
	fx, err := fixtures()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		code string // "" means: accepted
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
		{"page-loop", scan.CodeUnreadable, 0},
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
		for _, bad := range []string{"JavaScript", "/JS", "/AA", "Launch", "OpenAction", "/Annots"} {
			if bytes.Contains(c.PDF, []byte(bad)) {
				t.Errorf("component %s still contains %s", c.Code, bad)
			}
		}
	}
}

func asError(err error, target **scan.Error) bool { return errors.As(err, target) }
