package extract

import (
	"strings"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/format/ocr"
)

// form says where an officer's first fields are on a form: a field's value
// is what follows its printed label on the same line, up to the next label.
type form struct {
	fields []formField
}

type formField struct {
	name   string
	labels []string // printed labels, lower case, the most specific first
}

// forms are the forms Extract reads, by component code.
var forms = map[string]form{
	// Tờ khai đăng ký khai sinh (Circular 04/2024/TT-BTP form).
	"TKKS": {fields: []formField{
		{"requesterName", []string{"họ, chữ đệm, tên người yêu cầu:"}},
		{"motherName", []string{"họ, chữ đệm, tên người mẹ:"}},
		{"fatherName", []string{"họ, chữ đệm, tên người cha:"}},
		{"childName", []string{"họ, chữ đệm, tên:"}},
		{"birthDate", []string{"ngày, tháng, năm sinh:"}},
		{"birthPlace", []string{"nơi sinh:"}},
		{"hometown", []string{"quê quán:"}},
		{"requesterResidence", []string{"nơi cư trú:"}},
		{"signedAt", []string{"làm tại:"}},
	}},
	// Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp (form 03/2024/LLTP).
	"TKLLTP": {fields: []formField{
		{"fullName", []string{"họ và tên:"}},
		{"birthDate", []string{"ngày, tháng, năm sinh:"}},
		{"birthPlace", []string{"nơi sinh:"}},
		{"residence", []string{"nơi thường trú:"}},
		{"idNumber", []string{"số định danh cá nhân:"}},
		{"signedAt", []string{"làm tại:"}},
	}},
}

// extract finds each field's label on a line and takes the words after it.
// A field's confidence is the mean confidence of its words; a label found
// twice keeps the first (child before the parents: labels are matched most
// specific first, so "tên người mẹ:" never feeds "tên:").
func (f form) extract(pages []ocr.Page) map[string]dossier.Field {
	out := map[string]dossier.Field{}
	for _, p := range pages {
		for _, line := range p.Lines() {
			text := strings.ToLower(joinWords(line))
			for _, ff := range f.fields {
				if _, done := out[ff.name]; done {
					continue
				}
				for _, label := range ff.labels {
					i := strings.Index(text, label)
					if i < 0 {
						continue
					}
					// Words after the label: count the label's words.
					n := len(strings.Fields(text[:i+len(label)]))
					if n >= len(line) {
						break
					}
					value := line[n:]
					// Stop at the next label on the same line ("Giới tính: Nam Dân tộc: Kinh").
					for k, w := range value {
						if k > 0 && strings.HasSuffix(w.Text, ":") {
							value = value[:max(0, k-1)]
							break
						}
					}
					if len(value) == 0 {
						break
					}
					out[ff.name] = field(joinWords(value), meanConf(value))
					break
				}
				if _, done := out[ff.name]; done {
					break // one field a line
				}
			}
		}
	}
	return out
}
