package ocr

import "github.com/sohoa/sohoa/pkg/format/stamp"

// LayerWords returns the words of pages for stamp.Stamper.TextLayer, keyed
// by page number; pages are numbered as in the PDF that was read.
func LayerWords(pages []Page) map[int][]stamp.Word {
	out := make(map[int][]stamp.Word, len(pages))
	for _, p := range pages {
		ws := make([]stamp.Word, 0, len(p.Words))
		for _, w := range p.Words {
			ws = append(ws, stamp.Word{Text: w.Text, X: w.X, Y: w.Y, W: w.W, H: w.H, Angle: w.Angle})
		}
		if len(ws) > 0 {
			out[p.Number] = ws
		}
	}
	return out
}
