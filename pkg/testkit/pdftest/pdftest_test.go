package pdftest

import (
	"bytes"
	"testing"

	pdfcpu "github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

func TestSized(t *testing.T) {
	for _, size := range []int{0, 1000, 3 << 20} {
		b := Sized(size, "Result (test)")
		if len(b) < size {
			t.Fatalf("Sized(%d) is %d bytes", size, len(b))
		}
		conf := model.NewDefaultConfiguration()
		conf.ValidationMode = model.ValidationRelaxed
		if err := pdfcpu.Validate(bytes.NewReader(b), conf); err != nil {
			t.Fatalf("Sized(%d) does not validate: %v", size, err)
		}
	}
	if bytes.Equal(Sized(100, "a"), Sized(100, "b")) {
		t.Error("different titles, same bytes")
	}
}
