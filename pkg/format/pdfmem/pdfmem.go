// Package pdfmem keeps a PDF that pdfcpu has read in memory once.
//
// pdfcpu reads every stream of a file eagerly into a copy of its own, so a
// file of scanned pages is held twice while its context lives: the caller's
// bytes and pdfcpu's. Components and results are tens of megabytes of page
// images, read several times on their way to a signed copy (stamped, signed,
// verified): the copies, not the work, set the memory an ingestion needs.
package pdfmem

import (
	"bytes"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// minAlias is the smallest stream worth pointing into the file: below it,
// the copy costs less than the comparison.
const minAlias = 4096

// AliasStreams points every stream's encoded bytes (Raw) into data, the
// file xt was read from, instead of the copy pdfcpu made, so that the copy
// can be collected. Only unencrypted files may be given, where a stream's
// Raw bytes are exactly data[StreamOffset:][:len(Raw)]; a stream whose bytes
// differ from the file's there is left as it is. It reports whether some
// stream's /Length lies (no "endstream" where it ends), which pdfcpu does not
// notice and readers that reconstruct the file do.
//
// The aliased bytes are sliced with their capacity cut, so appending to a
// stream never writes into data; nothing may change data while xt is used.
func AliasStreams(xt *model.XRefTable, data []byte) (lengthsLie bool) {
	for _, e := range xt.Table {
		if e == nil || e.Free {
			continue
		}
		sd, ok := e.Object.(types.StreamDict)
		if !ok {
			continue
		}
		off := sd.StreamOffset
		if off <= 0 || off+int64(len(sd.Raw)) > int64(len(data)) {
			continue
		}
		end := off + int64(len(sd.Raw))
		if e.Compressed || !bytes.HasPrefix(bytes.TrimLeft(data[end:min(int64(len(data)), end+64)], " \r\n\t\f\x00"), []byte("endstream")) {
			lengthsLie = lengthsLie || !e.Compressed
			continue
		}
		if len(sd.Raw) < minAlias {
			continue
		}
		src := data[off:end]
		if !bytes.Equal(src, sd.Raw) {
			continue
		}
		sd.Raw = src[:len(src):len(src)]
		e.Object = sd
	}
	return lengthsLie
}
