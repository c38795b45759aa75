// Package stamp puts Vietnamese text on PDF pages with an embedded font.
//
// ConversionMark adds the conversion mark of a certified digitized copy
// (Decree 137/2024/NĐ-CP Art. 4, Circular 01/2023/TT-VPCP Art. 8) to the top
// left of page 1 of a component PDF, before the component is sealed. Font
// and Text embed DejaVu Sans as a subsetted Type0/CIDFontType2 font with a
// ToUnicode CMap; the receipt package draws with them too.
//
// It does not sign: signing comes after stamping, because any rewrite after
// a signature breaks it.
package stamp
