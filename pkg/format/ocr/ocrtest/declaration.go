package ocrtest

import "image"

// DeclarationPDF is a one-page scan of a filled birth-registration
// declaration (known text) at 200 dpi, slightly skewed.
func DeclarationPDF() ([]byte, error) {
	fonts, err := LoadFonts()
	if err != nil {
		return nil, err
	}
	page := Print(fonts.TextPage(BirthDeclarationTitle, BirthDeclaration), Scan{DPI: 200, Skew: 0.3})
	return PDF([]*image.Gray{page}, Scan{DPI: 200})
}
