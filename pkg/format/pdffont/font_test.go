package pdffont

import (
	"strings"
	"testing"
)

func TestFontText(t *testing.T) {
	f := mustFont(t)
	tests := []struct {
		name      string
		in        string
		glyphs    int    // 4-hex-digit codes in the Tj operand
		toUnicode string // what the text extracts as
	}{
		{"ascii", "Sohoa 2026", 10, "Sohoa 2026"},
		{"vietnamese precomposed", "Nguyễn Thị Lĩnh", 15, "Nguyễn Thị Lĩnh"},
		{"capital D with stroke", "ĐĂNG KÝ", 7, "ĐĂNG KÝ"},
		{"outside the font's ranges", "王 Lĩnh", 6, "? Lĩnh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := f.NewText()
			hex := text.Hex(tt.in)
			if !strings.HasPrefix(hex, "<") || !strings.HasSuffix(hex, ">") || len(hex) != 2+4*tt.glyphs {
				t.Fatalf("Hex(%q) = %s, want %d glyph codes", tt.in, hex, tt.glyphs)
			}
			// Decode through the ToUnicode map, as a text extractor does.
			cmap := string(text.toUnicode(text.sortedGlyphs()))
			var got strings.Builder
			for i := 1; i+4 <= len(hex)-1; i += 4 {
				code := hex[i : i+4]
				j := strings.Index(cmap, "<"+code+"> <")
				if j < 0 {
					t.Fatalf("glyph %s not in the ToUnicode CMap", code)
				}
				u := cmap[j+8:]
				u = u[:strings.IndexByte(u, '>')]
				for k := 0; k+4 <= len(u); k += 4 {
					var r rune
					for _, c := range u[k : k+4] {
						r = r*16 + rune(strings.IndexRune("0123456789ABCDEF", c))
					}
					got.WriteRune(r)
				}
			}
			if got.String() != tt.toUnicode {
				t.Errorf("extracts as %q, want %q", got.String(), tt.toUnicode)
			}
		})
	}
}

func TestFontWrap(t *testing.T) {
	f := mustFont(t)
	tests := []struct {
		name  string
		in    string
		width float64
		want  []string
	}{
		{"fits", "Đăng ký khai sinh", 500, []string{"Đăng ký khai sinh"}},
		{"between words", "Đăng ký khai sinh", max(f.Width("Đăng ký", 10), f.Width("khai sinh", 10)) + 1, []string{"Đăng ký", "khai sinh"}},
		{"long word cut", "Nguyễn", f.Width("Ngu", 10) + 0.1, []string{"Ngu", "yễn"}},
		{"narrower than a letter", "ab", 0, []string{"a", "b"}},
		{"explicit newline", "a\nb", 500, []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := f.Wrap(tt.in, 10, tt.width)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Wrap(%q, %.1f) = %q, want %q", tt.in, tt.width, got, tt.want)
			}
		})
	}
	if w := f.Width("ĩ", 10); w <= 0 || w > 10 {
		t.Errorf("width of ĩ at 10 pt = %v", w)
	}
}

func mustFont(t testing.TB) *Font {
	t.Helper()
	f, err := NewFont()
	if err != nil {
		t.Fatal(err)
	}
	return f
}
