package jpegscale

import "math"

// zigzag maps the position of a coefficient in the coded sequence to its
// natural (row-major, v*8+u) position in the 8×8 block (T.81 Figure A.6).
var zigzag = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
}

// weights turns dequantised luma coefficients into the means of the
// (8/f)×(8/f) squares of a block: mean[q] = 128 + Σ_k coef[k]·w[k][q].
//
// From the inverse DCT of T.81 A.3.3,
//
//	s(x,y) = ¼ Σ_u Σ_v C(u) C(v) S(v,u) cos((2x+1)uπ/16) cos((2y+1)vπ/16),
//
// the mean over x ∈ [a, a+f) of cos((2x+1)uπ/16) is a constant m_a(u), so the
// mean of s over a square is ¼ Σ C(u)C(v) S(v,u) m_a(u) m_b(v): a weighted sum
// of the coefficients, with m_a(u) = 0 for many u (all u > 0 when f = 8; even
// u > 0 when f = 4; u = 4 when f = 2), whose coefficients are skipped.
type weights struct {
	n   int             // squares per block side, 8/f
	w   [64][16]float32 // by zigzag index, then square index (row-major)
	use [64]bool        // whether coefficient k contributes to any square
}

// setup computes the weights for factor f and quantisation table q.
func (w *weights) setup(f int, q *[64]uint16) {
	w.n = 8 / f
	var one [8][8]float64 // C(u)/2 · m_a(u) by square a and frequency u
	for a := range w.n {
		for u := range 8 {
			m := 0.0
			for x := a * f; x < a*f+f; x++ {
				m += math.Cos(float64(2*x+1) * float64(u) * math.Pi / 16)
			}
			m /= float64(f)
			c := 0.5
			if u == 0 {
				c = 0.5 / math.Sqrt2
			}
			if math.Abs(m) < 1e-9 {
				m = 0
			}
			one[a][u] = c * m
		}
	}
	for k := range 64 {
		nat := int(zigzag[k])
		v, u := nat/8, nat%8
		w.use[k] = false
		for b := range w.n {
			for a := range w.n {
				x := one[a][u] * one[b][v] * float64(q[k])
				w.w[k][b*w.n+a] = float32(x)
				if x != 0 {
					w.use[k] = true
				}
			}
		}
	}
}

// decodeScan decodes the entropy-coded data of one scan starting at pos, the
// components being d.comps[idx[i]], and returns the offset just after it.
func (d *decoder) decodeScan(idx []int, pos int) (int, error) {
	luma := false
	for _, ci := range idx {
		d.comps[ci].pred = 0
		luma = luma || ci == 0
	}
	if luma {
		d.w.setup(d.factor, &d.quant[d.comps[0].tq])
	}
	d.bits.reset(d.data, pos)
	var total int
	if len(idx) == 1 {
		c := &d.comps[idx[0]]
		total = c.bw * c.bh
	} else {
		total = d.mcux * d.mcuy
	}
	rst := byte(0)
	for m := range total {
		if len(idx) == 1 {
			c := &d.comps[idx[0]]
			if err := d.decodeBlock(c, idx[0] == 0, m%c.bw, m/c.bw); err != nil {
				return 0, err
			}
		} else {
			mx, my := m%d.mcux, m/d.mcux
			for _, ci := range idx {
				c := &d.comps[ci]
				for v := range c.v {
					for h := range c.h {
						if err := d.decodeBlock(c, ci == 0, mx*c.h+h, my*c.v+v); err != nil {
							return 0, err
						}
					}
				}
			}
		}
		if d.bits.padded > 0 && d.bits.overrun() {
			return 0, formatErr("entropy-coded data truncated at MCU %d of %d", m, total)
		}
		if d.restart > 0 && (m+1)%d.restart == 0 && m+1 < total {
			if err := d.bits.restart(rst); err != nil {
				return 0, err
			}
			rst = (rst + 1) & 7
			for _, ci := range idx {
				d.comps[ci].pred = 0
			}
		}
	}
	for _, ci := range idx {
		d.comps[ci].done = true
	}
	return d.bits.pos, nil
}

// decodeBlock decodes one 8×8 block (F.2.2) of component c at block
// coordinates (bx, by); for the luma it writes the means of its squares.
func (d *decoder) decodeBlock(c *component, luma bool, bx, by int) error {
	br := &d.bits
	s, err := br.decode(&d.huff[0][c.dc])
	if err != nil {
		return err
	}
	if s > 15 {
		return formatErr("DC magnitude category %d", s)
	}
	c.pred += br.receiveExtend(int(s))
	ac := &d.huff[1][c.ac]
	if !luma {
		for k := 1; k < 64; {
			if br.n < 32 {
				br.fill()
			}
			if f := ac.fastAC[br.acc>>(64-lutBits)]; f != 0 {
				n := int(f & 15)
				br.acc <<= n
				br.n -= n
				if k += int(f>>4)&15 + 1; k > 64 {
					return formatErr("AC coefficient index %d", k-1)
				}
				continue
			}
			rs, err := br.decode(ac)
			if err != nil {
				return err
			}
			r, s := int(rs>>4), int(rs&15)
			if s == 0 {
				if r != 15 {
					break
				}
				k += 16
				continue
			}
			k += r
			if k > 63 {
				return formatErr("AC coefficient index %d", k)
			}
			br.receiveExtend(s)
			k++
		}
		return nil
	}
	w := &d.w
	nn := w.n * w.n
	var acc [16]float32
	dc := float32(c.pred) * w.w[0][0] // every square has the same DC weight
	for q := range nn {
		acc[q] = dc
	}
	// The hot loop: the bit buffer is kept in locals; a refill before each
	// symbol leaves at least 32 bits, enough for a code and its value bits.
	bacc, bn := br.acc, br.n
	for k := 1; k < 64; {
		if bn < 32 {
			br.acc, br.n = bacc, bn
			br.fill()
			bacc, bn = br.acc, br.n
		}
		if f := ac.fastAC[bacc>>(64-lutBits)]; f != 0 {
			n := int(f & 15)
			bacc <<= n
			bn -= n
			k += int(f>>4) & 15
			if k > 63 {
				return formatErr("AC coefficient index %d", k)
			}
			if w.use[k] {
				fv := float32(f >> 8)
				wk := &w.w[k]
				for q := range nn {
					acc[q] += fv * wk[q]
				}
			}
			k++
			continue
		}
		var rs byte
		if e := ac.lut[bacc>>(64-lutBits)]; e != 0 {
			l := int(e >> 8)
			bacc <<= l
			bn -= l
			rs = byte(e)
		} else {
			br.acc, br.n = bacc, bn
			var err error
			if rs, err = br.decode(ac); err != nil {
				return err
			}
			bacc, bn = br.acc, br.n
		}
		r, s := int(rs>>4), int(rs&15)
		if s == 0 {
			if r != 15 {
				break
			}
			k += 16
			continue
		}
		k += r
		if k > 63 {
			return formatErr("AC coefficient index %d", k)
		}
		v := int32(bacc >> (64 - s))
		bacc <<= s
		bn -= s
		if v < 1<<(s-1) {
			v += -1<<s + 1
		}
		if w.use[k] {
			fv := float32(v)
			wk := &w.w[k]
			for q := range nn {
				acc[q] += fv * wk[q]
			}
		}
		k++
	}
	br.acc, br.n = bacc, bn
	d.store(&acc, bx, by)
	return nil
}

// store writes a block's square means to the output, dropping squares that
// are outside the reduced image (block padding, partial squares).
func (d *decoder) store(acc *[16]float32, bx, by int) {
	n := d.w.n
	out := d.out
	x0, y0 := bx*n, by*n
	for b := range n {
		y := y0 + b
		if y >= out.Rect.Max.Y {
			return
		}
		row := out.Pix[y*out.Stride:]
		for a := range n {
			x := x0 + a
			if x >= out.Rect.Max.X {
				break
			}
			row[x] = clamp(acc[b*n+a] + 128)
		}
	}
}

func clamp(v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v)
}
