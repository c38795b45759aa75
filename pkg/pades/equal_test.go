package pades

import (
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

func TestEqualObjects(t *testing.T) {
	mk := func(bc types.Object) types.Dict {
		return types.Dict{"Type": types.Name("Annot"), "MK": types.Dict{"BC": types.Array{bc, bc, bc}}}
	}
	stream := func(raw string, off int64) types.StreamDict {
		return types.StreamDict{Dict: types.Dict{"Length": types.Integer(len(raw))}, Raw: []byte(raw), StreamOffset: off}
	}
	tests := []struct {
		name string
		a, b types.Object
		want bool
	}{
		{"integer and float zero", mk(types.Integer(0)), mk(types.Float(0)), true},
		{"float printed two ways", mk(types.Float(0.0)), mk(types.Float(0.000000000000)), true},
		{"different numbers", mk(types.Float(0.5)), mk(types.Float(0.25)), false},
		{"literal and hex string", types.StringLiteral("AB"), types.HexLiteral("4142"), true},
		{"different strings", types.StringLiteral("AB"), types.HexLiteral("4143"), false},
		{"name is not string", types.Name("AB"), types.StringLiteral("AB"), false},
		{"missing entry vs null", types.Dict{"A": types.Integer(1)}, types.Dict{"A": types.Integer(1), "B": nil}, true},
		{"extra entry", types.Dict{"A": types.Integer(1)}, types.Dict{"A": types.Integer(1), "B": types.Integer(2)}, false},
		{"reference", *types.NewIndirectRef(5, 0), *types.NewIndirectRef(5, 1), false},
		{"array order", types.Array{types.Integer(1), types.Integer(2)}, types.Array{types.Integer(2), types.Integer(1)}, false},
		{"same stream bytes elsewhere", stream("BT ET", 10), stream("BT ET", 99), true},
		{"stream content replaced", stream("BT ET", 10), stream("BT XX", 10), false},
		{"unloaded streams at other offsets", stream("", 10), stream("", 99), false},
	}
	for _, tt := range tests {
		if got := equalObjects(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: equalObjects = %v, want %v", tt.name, got, tt.want)
		}
	}
}
