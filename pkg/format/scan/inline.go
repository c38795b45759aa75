package scan

import (
	"bytes"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"github.com/sohoa/sohoa/pkg/format/pdflex"
)

// Inline images (BI … ID data EI in a content stream, ISO 32000-1 §8.9.7)
// are what some scanner drivers and PDF printers write instead of image
// XObjects. They are read into the same form as an image XObject, so the
// composer draws them like any other image.

// inlineKeys are the abbreviations of inline image dictionaries.
var inlineKeys = map[string]string{
	"W": "Width", "H": "Height", "BPC": "BitsPerComponent", "CS": "ColorSpace", "F": "Filter",
	"DP": "DecodeParms", "D": "Decode", "IM": "ImageMask", "I": "Interpolate", "L": "Length",
}

// inlineNames are the abbreviated names of colour spaces and filters.
var inlineNames = map[string]string{
	"G": "DeviceGray", "RGB": "DeviceRGB", "CMYK": "DeviceCMYK", "I": "Indexed",
	"AHx": "ASCIIHexDecode", "A85": "ASCII85Decode", "LZW": "LZWDecode", "Fl": "FlateDecode",
	"RL": "RunLengthDecode", "CCF": "CCITTFaxDecode", "DCT": "DCTDecode",
}

// maxInlineDict bounds an inline image's dictionary.
const maxInlineDict = 64 << 10

// inlineImage reads an inline image whose "BI" operator the lexer has just
// returned, and leaves the lexer after its "EI". It returns nil (the image
// skipped) when its dictionary cannot be read.
func inlineImage(xt *model.XRefTable, lx *lexer, res types.Dict) *types.StreamDict {
	start := lx.I
	idEnd := -1
	for {
		tok, kind := lx.next()
		if kind == tokEOF || lx.I-start > maxInlineDict {
			break
		}
		if kind == tokOp && string(tok) == "ID" {
			idEnd = lx.I
			break
		}
	}
	if idEnd < 0 {
		lx.I = len(lx.B)
		return nil
	}
	text := "<<" + string(lx.B[start:idEnd-2]) + ">>"
	obj, err := model.ParseObject(&text)
	d, ok := obj.(types.Dict)
	// One white-space byte separates ID from the data.
	dataStart := min(idEnd+1, len(lx.B))
	if err != nil || !ok {
		lx.I = dataStart
		lx.skipPastEI()
		return nil
	}
	sd := &types.StreamDict{Dict: types.Dict{"Type": types.Name("XObject"), "Subtype": types.Name("Image")}}
	for k, v := range d {
		if full, ok := inlineKeys[k]; ok {
			k = full
		}
		sd.Dict[k] = expandInline(v)
	}
	// A colour space named in the page's resources.
	if n, ok := sd.Dict["ColorSpace"].(types.Name); ok {
		if _, std := map[types.Name]bool{"DeviceGray": true, "DeviceRGB": true, "DeviceCMYK": true, "Indexed": true}[n]; !std {
			if cs := dictEntry(xt, res, "ColorSpace"); cs != nil {
				if v, ok := cs[string(n)]; ok {
					sd.Dict["ColorSpace"] = v
				}
			}
		}
	}
	sd.FilterPipeline = inlineFilters(sd.Dict)
	end := -1
	if l := sd.IntEntry("Length"); l != nil && *l >= 0 && dataStart+*l <= len(lx.B) {
		end = dataStart + *l
	} else if len(sd.FilterPipeline) == 0 {
		// Unfiltered: the data is exactly as long as its samples.
		w, h, bpc := intEntry(sd, "Width"), intEntry(sd, "Height"), intEntry(sd, "BitsPerComponent")
		comps, _ := colorSpace(xt, sd)
		if boolEntry(sd.Dict, "ImageMask") {
			comps, bpc = 1, 1
		}
		if w > 0 && h > 0 && bpc > 0 && bpc <= 16 {
			n := int64((w*comps*bpc+7)/8) * int64(h)
			if n <= int64(len(lx.B)-dataStart) {
				e := dataStart + int(n)
				rest := bytes.TrimLeft(lx.B[e:], " \r\n\t\f\x00")
				if bytes.HasPrefix(rest, []byte("EI")) {
					end = e
				}
			}
		}
	}
	lx.I = dataStart
	if end >= 0 {
		lx.I = end
		sd.Raw = lx.B[dataStart:end]
		lx.skipPastEI()
	} else {
		at := lx.skipPastEI()
		sd.Raw = bytes.TrimRight(lx.B[dataStart:at], " \r\n\t\f\x00")
	}
	return sd
}

// expandInline replaces abbreviated names in an inline image's values.
func expandInline(v types.Object) types.Object {
	switch o := v.(type) {
	case types.Name:
		if full, ok := inlineNames[string(o)]; ok {
			return types.Name(full)
		}
	case types.Array:
		out := make(types.Array, len(o))
		for i, e := range o {
			out[i] = expandInline(e)
		}
		return out
	case types.Dict:
		out := types.Dict{}
		for k, e := range o {
			out[k] = e
		}
		return out
	}
	return v
}

// inlineFilters returns the filter pipeline of an inline image (or of a
// stream dictionary parsed from text): /Filter and /DecodeParms, direct.
func inlineFilters(d types.Dict) []types.PDFFilter {
	var names []types.Name
	var parms []types.Object
	switch f := d["Filter"].(type) {
	case types.Name:
		names = []types.Name{f}
		parms = []types.Object{d["DecodeParms"]}
	case types.Array:
		for _, e := range f {
			if n, ok := e.(types.Name); ok {
				names = append(names, n)
			}
		}
		if a, ok := d["DecodeParms"].(types.Array); ok {
			parms = a
		}
	}
	out := make([]types.PDFFilter, len(names))
	for i, n := range names {
		out[i].Name = string(n)
		if i < len(parms) {
			if pd, ok := parms[i].(types.Dict); ok {
				out[i].DecodeParms = pd
			}
		}
	}
	return out
}

// skipPastEI moves the lexer past the next "EI" operator (white space
// before it, white space, a delimiter or the end after it) and returns
// where that EI starts.
func (l *lexer) skipPastEI() int {
	for l.I < len(l.B) {
		k := bytes.Index(l.B[l.I:], []byte("EI"))
		if k < 0 {
			break
		}
		at := l.I + k
		l.I = at + 2
		if (at == 0 || pdflex.IsSpace(l.B[at-1])) && (l.I >= len(l.B) || pdflex.IsSpace(l.B[l.I]) || pdflex.IsDelim(l.B[l.I])) {
			return at
		}
	}
	l.I = len(l.B)
	return len(l.B)
}
