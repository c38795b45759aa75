package scan

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"io"
	"testing"
)

// readChildAnswer hands well-formed image frames to the keeper and refuses
// those a broken or hostile child could send: a page outside the scan's
// limits, the same image twice, more image bytes than Limits.ThumbBytes.
func TestReadChildAnswerImages(t *testing.T) {
	lim := DefaultLimits()
	lim.ThumbBytes = 10
	frame := func(a uint64, body []byte) []byte {
		var f [16]byte
		binary.BigEndian.PutUint64(f[:], a)
		binary.BigEndian.PutUint64(f[8:], uint64(len(body)))
		return append(f[:], body...)
	}
	var g bytes.Buffer
	if err := gob.NewEncoder(&g).Encode(childResponse{Result: &Result{}}); err != nil {
		t.Fatal(err)
	}
	end := frame(endFrame, g.Bytes())
	img := func(page int, large uint64) uint64 { return thumbFrame | uint64(page)<<1 | large }
	tests := []struct {
		name   string
		frames [][]byte
		ok     bool
		kept   int
	}{
		{"small and large", [][]byte{frame(img(3, 0), []byte("abc")), frame(img(3, 1), []byte("defg"))}, true, 2},
		{"page 0", [][]byte{frame(img(0, 0), []byte("a"))}, false, 0},
		{"page past the limit", [][]byte{frame(img(lim.MaxPages+1, 0), []byte("a"))}, false, 0},
		{"twice", [][]byte{frame(img(2, 1), []byte("a")), frame(img(2, 1), []byte("b"))}, false, 1},
		{"over the bytes", [][]byte{frame(img(2, 0), []byte("abcdef")), frame(img(2, 1), []byte("ghijk"))}, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in []byte
			for _, f := range tt.frames {
				in = append(in, f...)
			}
			in = append(in, end...)
			kept := 0
			_, err := readChildAnswer(bytes.NewReader(in), lim, keeper{
				component: func(int, io.Reader, int64) error { t.Fatal("a component"); return nil },
				thumb: func(_ thumbPart, r io.Reader, n int64) error {
					kept++
					_, err := io.CopyN(io.Discard, r, n)
					return err
				},
			})
			if (err == nil) != tt.ok || kept != tt.kept {
				t.Fatalf("err %v, %d kept; want ok %v, %d kept", err, kept, tt.ok, tt.kept)
			}
		})
	}
}
