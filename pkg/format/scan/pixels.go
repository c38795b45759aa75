package scan

import (
	"image"
	"image/color"
)

// flatGray returns img as grey paper: luma, with transparent pixels seen
// over white paper (a PNG whose paper was made transparent is a white page,
// not a black one), in one pass over the pixels for the types decoders
// return. Gray and YCbCr images are returned as they are (separator.Reduce
// reads their luma plane directly); other types are converted pixel by
// pixel, over white.
func flatGray(img image.Image) image.Image {
	switch img.(type) {
	case *image.Gray, *image.YCbCr:
		return img
	}
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	w := b.Dx()
	over := func(y, a uint32) uint8 { // y and a in 0..255, y not premultiplied
		return uint8((y*a + 255*(255-a)) / 255)
	}
	luma := func(r, g, b uint32) uint32 { return (19595*r + 38470*g + 7471*b + 1<<15) >> 16 }
	switch m := img.(type) {
	case *image.NRGBA:
		for y := range b.Dy() {
			src := m.Pix[(y+b.Min.Y-m.Rect.Min.Y)*m.Stride+(b.Min.X-m.Rect.Min.X)*4:]
			dst := out.Pix[y*out.Stride:]
			for x := range w {
				p := src[4*x : 4*x+4]
				dst[x] = over(luma(uint32(p[0]), uint32(p[1]), uint32(p[2])), uint32(p[3]))
			}
		}
	case *image.RGBA: // premultiplied: over white is the colour plus the white left
		for y := range b.Dy() {
			src := m.Pix[(y+b.Min.Y-m.Rect.Min.Y)*m.Stride+(b.Min.X-m.Rect.Min.X)*4:]
			dst := out.Pix[y*out.Stride:]
			for x := range w {
				p := src[4*x : 4*x+4]
				dst[x] = uint8(min(255, luma(uint32(p[0]), uint32(p[1]), uint32(p[2]))+255-uint32(p[3])))
			}
		}
	case *image.Gray16:
		for y := range b.Dy() {
			src := m.Pix[(y+b.Min.Y-m.Rect.Min.Y)*m.Stride+(b.Min.X-m.Rect.Min.X)*2:]
			dst := out.Pix[y*out.Stride:]
			for x := range w {
				dst[x] = src[2*x] // the high byte
			}
		}
	case *image.NRGBA64:
		for y := range b.Dy() {
			src := m.Pix[(y+b.Min.Y-m.Rect.Min.Y)*m.Stride+(b.Min.X-m.Rect.Min.X)*8:]
			dst := out.Pix[y*out.Stride:]
			for x := range w {
				p := src[8*x : 8*x+8]
				dst[x] = over(luma(uint32(p[0]), uint32(p[2]), uint32(p[4])), uint32(p[6]))
			}
		}
	case *image.Paletted:
		lut := make([]uint8, 256)
		for i := range lut {
			lut[i] = 255
		}
		for i, c := range m.Palette {
			if i >= 256 {
				break
			}
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			lut[i] = over(luma(uint32(n.R), uint32(n.G), uint32(n.B)), uint32(n.A))
		}
		for y := range b.Dy() {
			src := m.Pix[(y+b.Min.Y-m.Rect.Min.Y)*m.Stride+(b.Min.X-m.Rect.Min.X):]
			dst := out.Pix[y*out.Stride:]
			for x := range w {
				dst[x] = lut[src[x]]
			}
		}
	default:
		for y := range b.Dy() {
			dst := out.Pix[y*out.Stride:]
			for x := range w {
				n := color.NRGBA64Model.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA64)
				dst[x] = over(luma(uint32(n.R>>8), uint32(n.G>>8), uint32(n.B>>8)), uint32(n.A>>8))
			}
		}
	}
	return out
}
