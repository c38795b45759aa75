package pdfmem_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"unsafe"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/sohoa/sohoa/pkg/format/pdfmem"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

// pdfWith builds a one-page PDF whose page content is a stream of data,
// declared /Length length.
func pdfWith(data []byte, length int) []byte {
	return scantest.RawPDF("<</Type/Catalog/Pages 2 0 R>>", "<</Type/Pages/Kids[3 0 R]/Count 1>>",
		"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>",
		fmt.Sprintf("<</Length %d>>\nstream\n%s\nendstream", length, data))
}

func read(t *testing.T, file []byte) *model.XRefTable {
	t.Helper()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	ctx, err := pdfcpu.ReadWithContext(context.Background(), bytes.NewReader(file), conf)
	if err != nil {
		t.Fatal(err)
	}
	return ctx.XRefTable
}

func content(t *testing.T, xt *model.XRefTable) types.StreamDict {
	t.Helper()
	sd, ok := xt.Table[4].Object.(types.StreamDict)
	if !ok {
		t.Fatalf("object 4 is a %T", xt.Table[4].Object)
	}
	return sd
}

// within reports whether s lies in the memory of file.
func within(s, file []byte) bool {
	if len(s) == 0 {
		return false
	}
	p, lo := uintptr(unsafe.Pointer(&s[0])), uintptr(unsafe.Pointer(&file[0]))
	return p >= lo && p+uintptr(len(s)) <= lo+uintptr(len(file))
}

// TestAliasStreams: a large stream's bytes end up pointing into the file,
// equal to what pdfcpu read, with no room to append into the file; small
// streams keep their copy; a stream whose /Length does not end at
// "endstream" is reported.
func TestAliasStreams(t *testing.T) {
	big := []byte(strings.Repeat("0 0 m 595 842 l S\n", 400)) // 7,200 bytes
	small := []byte("0 0 m 10 10 l S")
	for _, tt := range []struct {
		name      string
		data      []byte
		length    int
		aliased   bool
		lengthLie bool
	}{
		{"large stream", big, len(big), true, false},
		{"small stream", small, len(small), false, false},
		{"length too short", big, len(big) - 100, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := pdfWith(tt.data, tt.length)
			xt := read(t, file)
			before := append([]byte(nil), content(t, xt).Raw...)
			lie := pdfmem.AliasStreams(xt, file)
			sd := content(t, xt)
			if lie != tt.lengthLie {
				t.Errorf("lengths lie: %v, want %v", lie, tt.lengthLie)
			}
			if got := within(sd.Raw, file); got != tt.aliased {
				t.Errorf("aliased: %v, want %v", got, tt.aliased)
			}
			if !bytes.Equal(sd.Raw, before) {
				t.Error("the stream's bytes changed")
			}
			if cap(sd.Raw) != len(sd.Raw) && tt.aliased {
				t.Errorf("capacity %d beyond the stream's %d bytes: an append would write into the file", cap(sd.Raw), len(sd.Raw))
			}
		})
	}
}
