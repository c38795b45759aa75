package notify

import (
	"context"
	"strings"
	"testing"
)

func TestParseStaff(t *testing.T) {
	tests := []struct {
		name, in, err string
	}{
		{"officers and staff", `{"officers":[{"id":"o1","agency":"A","email":"o1@x.vn"},{"id":"o2","agency":"A"}],"staff":[{"id":"c1","phone":"+84900000009"}]}`, ""},
		{"empty", `{}`, ""},
		{"officer without agency", `{"officers":[{"id":"o1"}]}`, "officer 1 has no id or agency"},
		{"staff without id", `{"staff":[{"email":"x@y.vn"}]}`, "staff member 1 has no id"},
		{"not JSON", `officers`, "staff file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseStaff([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			d := f.Directory()
			for _, o := range f.Officers {
				rs, _ := d.OfficersOf(context.Background(), o.Agency)
				if len(rs) == 0 {
					t.Fatalf("officer %s not in the directory of %s", o.ID, o.Agency)
				}
			}
			for _, s := range f.Staff {
				if r, err := d.Person(context.Background(), s.ID); err != nil || r.Phone != s.Phone {
					t.Fatalf("staff %s: %+v %v", s.ID, r, err)
				}
			}
		})
	}
}
