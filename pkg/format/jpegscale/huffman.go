package jpegscale

import "encoding/binary"

// lutBits is the code length resolved by one table look-up; longer codes
// (rare: they are the least frequent symbols) take the canonical slow path.
const lutBits = 10

// huffman is one decoding table built from a DHT segment (T.81 Annex C and
// F.2.2.3).
type huffman struct {
	ok bool
	// lut maps the next lutBits bits to length<<8 | symbol; 0 when the code
	// is longer than lutBits.
	lut [1 << lutBits]uint16
	// fastAC maps the next lutBits bits, when they hold a whole AC code
	// and its value bits, to value<<8 | run<<4 | length of both; 0 when
	// they do not (longer codes, EOB, ZRL). One look-up then decodes most
	// coefficients of a scanned page, which are short codes of small values.
	fastAC  [1 << lutBits]int32
	maxCode [17]int32 // largest code of each length, -1 if none
	valPtr  [17]int32 // index in vals of the first code of each length minus that code
	vals    [256]byte
}

// build makes the table from the number of codes of each length 1..16 and
// the symbols in code order (C.2: codes are assigned in increasing order,
// shortest first).
func (t *huffman) build(counts [16]int, symbols []byte) error {
	*t = huffman{}
	copy(t.vals[:], symbols)
	code, k := int32(0), 0
	for l := 1; l <= 16; l++ {
		n := counts[l-1]
		t.maxCode[l] = -1
		if n > 0 {
			t.valPtr[l] = int32(k) - code
			for range n {
				if code >= 1<<l {
					return formatErr("Huffman code lengths overflow at length %d", l)
				}
				if l <= lutBits {
					lo := code << (lutBits - l)
					hi := (code + 1) << (lutBits - l)
					entry := uint16(l)<<8 | uint16(symbols[k])
					for i := lo; i < hi; i++ {
						t.lut[i] = entry
						t.fastAC[i] = fastAC(int(i), l, symbols[k])
					}
				}
				code++
				k++
			}
			t.maxCode[l] = code - 1
		}
		code <<= 1
	}
	t.ok = true
	return nil
}

// fastAC is the fastAC entry for the lutBits-bit prefix bits whose code,
// of length l, is the AC symbol rs: 0 unless the prefix also holds the
// coefficient's s value bits (F.2.2.2), which it then decodes and extends.
func fastAC(bits, l int, rs byte) int32 {
	r, s := int32(rs>>4), int(rs&15)
	if s == 0 || l+s > lutBits {
		return 0
	}
	v := int32(bits>>(lutBits-l-s)) & (1<<s - 1)
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v<<8 | r<<4 | int32(l+s)
}

// bitReader reads the entropy-coded segment of a scan (T.81 F.2.2.5):
// byte-stuffed 0xFF00 becomes 0xFF; a marker stops the reading and zero bits
// are supplied after it, counted so that consuming them is an error.
type bitReader struct {
	data   []byte
	pos    int    // next byte to read
	acc    uint64 // bits, most significant first
	n      int    // bits in acc
	padded int    // zero bytes supplied after a marker or the end of data
}

func (r *bitReader) reset(data []byte, pos int) {
	*r = bitReader{data: data, pos: pos}
}

// fill tops acc up to at least 57 bits.
func (r *bitReader) fill() {
	if r.padded == 0 && r.pos+8 <= len(r.data) {
		// Fast path: the next 8 bytes hold no 0xFF, so no stuffing or marker.
		x := binary.BigEndian.Uint64(r.data[r.pos:])
		if t := ^x; (t-0x0101010101010101)&^t&0x8080808080808080 == 0 {
			nb := (64 - r.n) >> 3
			r.acc |= x >> (64 - 8*nb) << (64 - r.n - 8*nb)
			r.n += 8 * nb
			r.pos += nb
			return
		}
	}
	for r.n <= 56 {
		var b byte
		if r.padded == 0 && r.pos < len(r.data) {
			b = r.data[r.pos]
			if b == 0xFF {
				if r.pos+1 < len(r.data) && r.data[r.pos+1] == 0x00 {
					r.pos += 2
				} else {
					// A marker (or fill bytes before one): stop here.
					b = 0
					r.padded++
				}
			} else {
				r.pos++
			}
		} else {
			r.padded++
		}
		r.acc |= uint64(b) << (56 - r.n)
		r.n += 8
	}
}

// overrun reports whether more bits were consumed than the segment holds.
func (r *bitReader) overrun() bool { return r.n < 8*r.padded }

// decode reads one Huffman-coded symbol.
func (r *bitReader) decode(t *huffman) (byte, error) {
	if r.n < 32 {
		r.fill()
	}
	if e := t.lut[r.acc>>(64-lutBits)]; e != 0 {
		l := int(e >> 8)
		r.acc <<= l
		r.n -= l
		return byte(e), nil
	}
	for l := lutBits + 1; l <= 16; l++ {
		code := int32(r.acc >> (64 - l))
		if code <= t.maxCode[l] {
			r.acc <<= l
			r.n -= l
			return t.vals[(t.valPtr[l]+code)&0xFF], nil
		}
	}
	return 0, formatErr("bad Huffman code")
}

// receiveExtend reads s (0..16) bits and sign-extends them (F.2.2.1).
func (r *bitReader) receiveExtend(s int) int32 {
	if s == 0 {
		return 0
	}
	if r.n < s {
		r.fill()
	}
	v := int32(r.acc >> (64 - s))
	r.acc <<= s
	r.n -= s
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

// restart ends a restart interval: the rest of the current byte is padding,
// then the RSTn marker with n = want must follow (F.2.2.5, B.2.1).
func (r *bitReader) restart(want byte) error {
	if r.overrun() {
		return formatErr("entropy-coded data truncated")
	}
	pos := r.pos
	for pos < len(r.data) && r.data[pos] == 0xFF && pos+1 < len(r.data) && r.data[pos+1] == 0xFF {
		pos++
	}
	if pos+1 >= len(r.data) || r.data[pos] != 0xFF || r.data[pos+1] != 0xD0+want {
		return formatErr("missing RST%d marker", want)
	}
	r.reset(r.data, pos+2)
	return nil
}
