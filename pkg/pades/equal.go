package pades

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// maxEqualDepth bounds the recursion of equalObjects; parsed objects are
// already bounded by the reader's recursion limit, this is a second guard.
const maxEqualDepth = 64

// equalObjects reports whether two parsed PDF objects have the same value:
// numbers compare as numbers (1, 1.0 and 1.000000000000 are equal, whichever
// way a parse typed them), strings compare by their bytes whether written as
// literal or hex, dictionaries by their entries in any order (a null entry is
// the same as no entry, ISO 32000-1 §7.3.7), indirect references by object
// and generation number, streams by their dictionary and raw bytes. Printed
// forms are never compared: pdfcpu prints one value differently in two
// parses (/BC[0.0 0.0 0.0] and [0.000000000000 …]).
func equalObjects(a, b types.Object) bool {
	return equalDepth(a, b, 0)
}

func equalDepth(a, b types.Object, depth int) bool {
	if depth > maxEqualDepth {
		return false
	}
	var ok bool
	if a, ok = resolveLazy(a); !ok {
		return false
	}
	if b, ok = resolveLazy(b); !ok {
		return false
	}
	if isNull(a) || isNull(b) {
		return isNull(a) && isNull(b)
	}
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		return ok && fa == fb
	}
	if sa, ok := stringBytes(a); ok {
		sb, ok := stringBytes(b)
		return ok && bytes.Equal(sa, sb)
	}
	switch va := a.(type) {
	case types.Name:
		vb, ok := b.(types.Name)
		return ok && va == vb
	case types.Boolean:
		vb, ok := b.(types.Boolean)
		return ok && va == vb
	case types.IndirectRef:
		vb, ok := b.(types.IndirectRef)
		return ok && va.ObjectNumber == vb.ObjectNumber && va.GenerationNumber == vb.GenerationNumber
	case types.Array:
		vb, ok := b.(types.Array)
		if !ok || len(va) != len(vb) {
			return false
		}
		for i := range va {
			if !equalDepth(va[i], vb[i], depth+1) {
				return false
			}
		}
		return true
	case types.Dict:
		vb, ok := b.(types.Dict)
		return ok && equalDicts(va, vb, depth)
	case types.StreamDict:
		vb, ok := b.(types.StreamDict)
		if !ok || !equalDicts(va.Dict, vb.Dict, depth) || !bytes.Equal(va.Raw, vb.Raw) {
			return false
		}
		// Bytes not loaded by the reader prove nothing: then only the same
		// stream in the file is the same stream.
		return len(va.Raw) > 0 || va.StreamOffset == vb.StreamOffset
	}
	// Anything else pdfcpu may hand us (e.g. an object stream's parsed form):
	// equal only if of the same type and printed the same.
	return sameType(a, b) && a.PDFString() == b.PDFString()
}

// resolveLazy returns the object an object-stream entry stands for:
// pdfcpu leaves objects inside object streams undecoded until asked, so one
// parse may hold the decoded dictionary and another the lazy entry. False
// when the entry cannot be decoded.
func resolveLazy(o types.Object) (types.Object, bool) {
	l, ok := o.(types.LazyObjectStreamObject)
	if !ok {
		return o, true
	}
	d, err := l.DecodedObject(context.Background())
	if err != nil {
		return nil, false
	}
	return d, true
}

func equalDicts(a, b types.Dict, depth int) bool {
	for k, v := range a {
		if !equalDepth(v, b[k], depth+1) {
			return false
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok && !isNull(v) {
			return false
		}
	}
	return true
}

func isNull(o types.Object) bool {
	return o == nil
}

func number(o types.Object) (float64, bool) {
	switch v := o.(type) {
	case types.Integer:
		return float64(v), true
	case types.Float:
		return float64(v), true
	}
	return 0, false
}

func stringBytes(o types.Object) ([]byte, bool) {
	switch v := o.(type) {
	case types.StringLiteral:
		b, err := types.Unescape(string(v))
		if err != nil {
			return []byte(v), true
		}
		return b, true
	case types.HexLiteral:
		b, err := hex.DecodeString(strings.Join(strings.Fields(string(v)), ""))
		if err != nil {
			return []byte(v), true
		}
		return b, true
	}
	return nil, false
}

func sameType(a, b types.Object) bool {
	return fmt.Sprintf("%T", a) == fmt.Sprintf("%T", b)
}
