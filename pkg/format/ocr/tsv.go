package ocr

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// box is a rectangle in image pixels, origin top left.
type box struct{ Left, Top, Width, Height int }

// tsvWord is one word of Tesseract's TSV output (level 5).
type tsvWord struct {
	Block, Par, Line int
	Box              box
	Conf             float64
	Text             string
}

// maxTSVWords bounds what parseTSV keeps: an A4 page at 300 dpi holds a few
// thousand words; more is noise recognised as text.
const maxTSVWords = 20000

// parseTSV reads Tesseract's TSV output (columns level, page_num, block_num,
// par_num, line_num, word_num, left, top, width, height, conf, text) and
// returns its words with text, in reading order.
func parseTSV(r io.Reader) ([]tsvWord, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var out []tsvWord
	first := true
	for sc.Scan() {
		line := sc.Text()
		if first {
			first = false
			if strings.HasPrefix(line, "level") {
				continue
			}
		}
		f := strings.SplitN(line, "\t", 12)
		if len(f) < 12 || f[0] != "5" {
			continue
		}
		text := strings.TrimSpace(f[11])
		if text == "" {
			continue
		}
		var n [9]int
		for i := range n {
			v, err := strconv.Atoi(f[i+1])
			if err != nil {
				return nil, fmt.Errorf("ocr: TSV column %d: %w", i+2, err)
			}
			n[i] = v
		}
		conf, err := strconv.ParseFloat(f[10], 64)
		if err != nil {
			return nil, fmt.Errorf("ocr: TSV confidence: %w", err)
		}
		if len(out) == maxTSVWords {
			return nil, fmt.Errorf("ocr: more than %d words on a page", maxTSVWords)
		}
		out = append(out, tsvWord{Block: n[1], Par: n[2], Line: n[3],
			Box: box{Left: n[5], Top: n[6], Width: n[7], Height: n[8]}, Conf: conf, Text: text})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("ocr: read TSV: %w", err)
	}
	return out, nil
}
