package dossier

import (
	"testing"

	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/format/scan"
)

func TestMonochromeSeverityPerProcedure(t *testing.T) {
	res := &scan.Result{Pages: []scan.Page{
		{Number: 1, Separator: "TKKS", Color: scan.ColorBilevel},
		{Number: 2, Color: scan.ColorBilevel, DPI: 300},
		{Number: 3, Color: scan.ColorGray, DPI: 300},
		{Number: 4, Color: scan.ColorColor, DPI: 300},
		{Number: 5, Blank: true, Color: scan.ColorGray},
	}}
	for _, tt := range []struct {
		rule, want string
		pages      int
	}{{"", SeverityWarning, 2}, {"warning", SeverityWarning, 2}, {"error", SeverityError, 2}, {"none", "", 0}} {
		fs := captureFindings(procedure.Procedure{MonochromeScan: tt.rule}, res)
		if tt.want == "" {
			if len(fs) != 0 {
				t.Errorf("rule %q: findings %+v", tt.rule, fs)
			}
			continue
		}
		if len(fs) != 1 || fs[0].Severity != tt.want || fs[0].Code != "scan.not-colour" || fs[0].Page != 2 {
			t.Errorf("rule %q: findings %+v", tt.rule, fs)
		}
	}
}
