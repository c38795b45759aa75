package scan

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
)

// PageImage is the image of one page of a PDF, still encoded, as the OCR
// needs it: the bytes go to the recogniser, the sizes place its words on
// the page.
type PageImage struct {
	Page          int     // 1-based
	Kind          string  // "jpg" or "png"; "" for a page without a raster image
	Data          []byte  // the encoded image
	Width, Height int     // declared pixel dimensions
	PageWidth     float64 // page size in points, as displayed unrotated (MediaBox)
	PageHeight    float64
	DPI           float64
	Pages         int // pages in the document
}

// ReadPageImage returns the largest image of page n of a PDF, read through
// the same door and limits as Split (sniffing, page count, declared pixels
// before decoding, inflated sizes). Call it only in an isolated child: it
// parses untrusted bytes. Encoding other than JPEG and PNG is refused.
func ReadPageImage(data []byte, n int, lim Limits) (*PageImage, error) {
	if !lim.valid() {
		return nil, newError(CodeInvalidLimits, 0, nil, "Cấu hình giới hạn xử lý tệp quét không hợp lệ.")
	}
	if int64(len(data)) > lim.MaxBytes || Sniff(data) != FormatPDF {
		return nil, newError(CodeUnsupported, 0, nil, msgUnsupported)
	}
	src, err := openPDF(data, lim)
	if err != nil {
		return nil, err
	}
	if n < 1 || n > src.pageCount() {
		return nil, newError(CodeUnreadable, n, fmt.Errorf("page %d of %d", n, src.pageCount()), msgPageBroken, n)
	}
	pi, err := src.page(n)
	if err != nil {
		return nil, err
	}
	out := &PageImage{Page: n, PageWidth: src.dims[n-1].Width, PageHeight: src.dims[n-1].Height, Pages: src.pageCount()}
	if pi.noImage {
		return out, nil
	}
	if pi.kind == "" {
		// Not one upright JPEG covering the page (rotated, striped, masked):
		// the recogniser reads the largest image as it is stored, at its
		// own resolution, not the page composed for detection.
		dpi := pi.dpi
		if pi, err = src.largestImage(n); err != nil {
			return nil, err
		}
		if pi.noImage {
			return out, nil
		}
		pi.dpi = dpi
	}
	if pi.kind != "jpg" && pi.kind != "png" {
		return nil, newError(CodeUnsupported, n, fmt.Errorf("page image of kind %q", pi.kind), msgPageBroken, n)
	}
	w, h, err := imageSize(pi.kind, pi.data)
	if err != nil {
		return nil, newError(CodeUnreadable, n, err, msgPageBroken, n)
	}
	if int64(w)*int64(h) > lim.MaxPixels {
		return nil, imageTooLarge(n, w, h)
	}
	out.Kind, out.Data, out.Width, out.Height, out.DPI = pi.kind, pi.data, w, h, pi.dpi
	return out, nil
}

// imageSize reads the dimensions a JPEG or PNG declares, without decoding it.
func imageSize(kind string, data []byte) (int, int, error) {
	var (
		cfg image.Config
		err error
	)
	if kind == "jpg" {
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	} else {
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
	}
	return cfg.Width, cfg.Height, err
}
