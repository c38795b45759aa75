package procedure

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
)

func TestDefault(t *testing.T) {
	if err := DefaultErr(); err != nil {
		t.Fatalf("embedded catalog invalid: %v", err)
	}
	c := Default()
	all := c.All()
	if len(all) < 6 {
		t.Fatalf("%d procedures, want at least 6", len(all))
	}
	for _, code := range []string{"1.001193", "2.000488", "1.004222", "2.000720", "1.002804", "1.013957"} {
		p, err := c.Get(code)
		if err != nil {
			t.Fatalf("Get(%s): %v", code, err)
		}
		if p.Code != code || p.ProcessingDays < 1 || len(p.RequiredComponents()) == 0 {
			t.Errorf("%s: %+v", code, p)
		}
	}
	birth, _ := c.Get("1.001193")
	if birth.Name != "Đăng ký khai sinh" || birth.ProcessingDays != 1 || birth.Result.Kind != "GKS" || !birth.Result.Permanent {
		t.Errorf("birth registration: %+v", birth)
	}
	if got := birth.RequiredComponents(); strings.Join(got, ",") != "TKKS,GCS,CCCD" {
		t.Errorf("birth required = %v", got)
	}
	// A result that another procedure accepts as a reusable component: the
	// birth certificate proves kinship for permanent residence.
	res, _ := c.Get("1.004222")
	if comp, ok := res.Component(birth.Result.Kind); !ok || !comp.Reusable {
		t.Errorf("residence registration does not reuse %s: %+v", birth.Result.Kind, comp)
	}
}

func TestGetNotFound(t *testing.T) {
	for _, code := range []string{"", "9.999999", "1.001193 ", "khai sinh"} {
		_, err := Default().Get(code)
		if errs.KindOf(err) != errs.NotFound {
			t.Errorf("Get(%q) = %v, want NotFound", code, err)
		}
	}
}

func TestComponent(t *testing.T) {
	c := Default()
	tests := []struct {
		code, name string
		ok         bool
	}{
		{"CCCD", "Thẻ căn cước / căn cước công dân của người đi đăng ký", true},
		{"TKKS", "Tờ khai đăng ký khai sinh", true},
		{"GCNQSDD", "Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất", true},
		{"cccd", "", false},
		{"NOPE", "", false},
	}
	for _, tt := range tests {
		got, ok := c.Component(tt.code)
		if ok != tt.ok || got.Name != tt.name {
			t.Errorf("Component(%q) = %+v, %v", tt.code, got, ok)
		}
	}
}

func TestCatalogIsReadOnly(t *testing.T) {
	c := Default()
	p, _ := c.Get("1.001193")
	p.Components[0].Name = "changed"
	p.LegalBasis[0] = "changed"
	c.All()[0].Components[0].Required = false
	again, _ := c.Get("1.001193")
	if again.Components[0].Name == "changed" || again.LegalBasis[0] == "changed" || !again.Components[0].Required {
		t.Fatal("caller changed the catalog")
	}
}

func TestJSONShape(t *testing.T) {
	// GET /v1/procedures (pkg/api/openapi.json): code, name, agency, processingDays,
	// components[code, name, required, reusable].
	p, _ := Default().Get("1.001193")
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"code", "name", "agency", "agencyName", "processingDays", "components", "result"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
	comp := m["components"].([]any)[0].(map[string]any)
	for _, k := range []string{"code", "name", "required", "reusable"} {
		if _, ok := comp[k]; !ok {
			t.Errorf("component JSON lacks %q", k)
		}
	}
}

func TestResultValidUntil(t *testing.T) {
	issued := time.Date(2026, 1, 31, 9, 0, 0, 0, time.UTC)
	if _, ok := (Result{Permanent: true}).ValidUntil(issued); ok {
		t.Error("permanent result expires")
	}
	// 31/01/2026 + 6 months = 31/07/2026.
	if got, ok := (Result{ValidityMonths: 6}).ValidUntil(issued); !ok || !got.Equal(time.Date(2026, 7, 31, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("ValidUntil = %v, %v", got, ok)
	}
}

const goodProc = `{"code":"1.000001","name":"X","agency":"000.00.01.H29","agencyName":"A","processingDays":3,
 "components":[{"code":"TK","name":"Tờ khai","required":true,"reusable":false}],
 "result":{"kind":"KQ","name":"Kết quả","permanent":true}}`

func TestLoad(t *testing.T) {
	wrap := func(procs ...string) string { return `{"procedures":[` + strings.Join(procs, ",") + `]}` }
	mod := func(old, new string) string { return strings.Replace(goodProc, old, new, 1) }
	tests := []struct {
		name, in string
		wantErr  string // "" = valid
	}{
		{"good", wrap(goodProc), ""},
		{"two", wrap(goodProc, mod(`"1.000001"`, `"2.000002"`)), ""},
		{"duplicate code", wrap(goodProc, goodProc), "appears twice"},
		{"bad code", wrap(mod(`"1.000001"`, `"1.0001"`)), "N.NNNNNN"},
		{"code with letters", wrap(mod(`"1.000001"`, `"A.000001"`)), "N.NNNNNN"},
		{"bad agency", wrap(mod(`"000.00.01.H29"`, `"H29"`)), "QCVN 102"},
		{"zero days", wrap(mod(`"processingDays":3`, `"processingDays":0`)), "between 1 and 365"},
		{"no name", wrap(mod(`"name":"X"`, `"name":""`)), "no name"},
		{"no required", wrap(mod(`"required":true`, `"required":false`)), "no required component"},
		{"bad component code", wrap(mod(`"code":"TK"`, `"code":"tk"`)), "component code"},
		{"duplicate component", wrap(mod(`"reusable":false}]`, `"reusable":false},{"code":"TK","name":"Tờ khai","required":false,"reusable":false}]`)), "appears twice"},
		{"component renamed", wrap(goodProc, strings.Replace(mod(`"1.000001"`, `"2.000002"`), `"Tờ khai"`, `"Khác"`, 1)), "is named"},
		{"validity both", wrap(mod(`"permanent":true`, `"permanent":true,"validityMonths":6`)), "either permanent"},
		{"validity none", wrap(mod(`"permanent":true`, `"permanent":false`)), "either permanent"},
		{"unknown field", wrap(mod(`"name":"X"`, `"name":"X","nmae":"Y"`)), "not valid JSON"},
		{"empty", `{"procedures":[]}`, "no procedures"},
		{"not json", `<xml/>`, "not valid JSON"},
		{"trailing", wrap(goodProc) + `{}`, "after its JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(strings.NewReader(tt.in))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if _, err := c.Get("1.000001"); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Load error %v, want %q", err, tt.wantErr)
			}
			if errs.KindOf(err) != errs.Invalid {
				t.Fatalf("kind %v, want Invalid", errs.KindOf(err))
			}
		})
	}
}

func TestLoadTooLarge(t *testing.T) {
	big := bytes.Repeat([]byte(" "), MaxCatalogSize+1)
	if _, err := Load(bytes.NewReader(big)); errs.KindOf(err) != errs.TooLarge {
		t.Fatalf("err %v, want TooLarge", err)
	}
}

func BenchmarkGet(b *testing.B) {
	c := Default()
	for b.Loop() {
		if _, err := c.Get("1.004222"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestValidAgencyID(t *testing.T) {
	for s, want := range map[string]bool{
		"000.00.01.H29": true, "000.21.29.H29": true, "000.00.00.G13": true,
		"G01.12.34.H56": false, // levels 2–4 are numeric
		"000.00.01.h29": false, "000.00.01.H2": false, "00.00.01.H29": false, "000.00.01.H29 ": false, "": false,
	} {
		if got := ValidAgencyID(s); got != want {
			t.Errorf("ValidAgencyID(%q) = %v, want %v", s, got, want)
		}
	}
}

// Every component of every procedure says what its paper looks like, so a
// pile scanned without separator sheets can be classified; each cue names
// its source.
func TestEveryComponentHasALook(t *testing.T) {
	for _, p := range Default().All() {
		for _, comp := range p.Components {
			l := comp.Look
			if l.Code != comp.Code || len(l.Cues) == 0 {
				t.Errorf("%s %s: no look cue", p.Code, comp.Code)
				continue
			}
			recognisable := false
			for _, c := range l.Cues {
				if c.Source == "" {
					t.Errorf("%s: cue %q has no source", comp.Code, c.Text)
				}
				// A title, or for a card a side's text, names the kind on
				// its own; phrases only support it.
				recognisable = recognisable || c.Kind == CueTitle || c.Kind == CueCardFront
			}
			if !recognisable {
				t.Errorf("%s: no title nor card-front cue", comp.Code)
			}
			if fromCatalog, ok := Default().Look(comp.Code); !ok || len(fromCatalog.Cues) != len(l.Cues) {
				t.Errorf("Look(%s) = %+v, %v", comp.Code, fromCatalog, ok)
			}
		}
	}
	cccd, _ := Default().Component("CCCD")
	if cccd.Look.Card != "id1" {
		t.Errorf("CCCD is not an ID-1 card: %+v", cccd.Look)
	}
}

func TestLookIsReadOnly(t *testing.T) {
	c := Default()
	p, _ := c.Get("1.001193")
	p.Components[0].Look.Cues[0].Text = "changed"
	l, _ := c.Look(p.Components[0].Code)
	l.Cues[0].Text = "changed"
	comp, _ := c.Component(p.Components[0].Code)
	comp.Look.Cues[0].Text = "changed"
	again, _ := c.Get("1.001193")
	if again.Components[0].Look.Cues[0].Text == "changed" {
		t.Fatal("caller changed the catalog's look")
	}
}

func TestLoadLooks(t *testing.T) {
	wrap := func(looks string) string { return `{"procedures":[` + goodProc + `],"looks":[` + looks + `]}` }
	tests := []struct {
		name, looks, wantErr string
	}{
		{"good", `{"code":"TK","cues":[{"kind":"title","text":"TỜ KHAI","source":"mẫu"}]}`, ""},
		{"card", `{"code":"TK","card":"id1","cues":[{"kind":"mrz","text":"IDVNM","source":"ICAO"}]}`, ""},
		{"unknown kind", `{"code":"TK","cues":[{"kind":"titel","text":"TỜ KHAI","source":"mẫu"}]}`, "kind"},
		{"no source", `{"code":"TK","cues":[{"kind":"title","text":"TỜ KHAI","source":""}]}`, "no source"},
		{"no text", `{"code":"TK","cues":[{"kind":"title","text":"","source":"mẫu"}]}`, "text"},
		{"card cue on paper", `{"code":"TK","cues":[{"kind":"mrz","text":"IDVNM","source":"ICAO"}]}`, "not a card"},
		{"bad card", `{"code":"TK","card":"a4","cues":[]}`, "card"},
		{"stray look", `{"code":"XX","cues":[]}`, "no procedure lists"},
		{"twice", `{"code":"TK","cues":[]},{"code":"TK","cues":[]}`, "appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(strings.NewReader(wrap(tt.looks)))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				p, _ := c.Get("1.000001")
				if len(p.Components[0].Look.Cues) != 1 {
					t.Fatalf("look not attached: %+v", p.Components[0])
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errs.KindOf(err) != errs.Invalid {
				t.Fatalf("Load error %v, want Invalid %q", err, tt.wantErr)
			}
		})
	}
}
