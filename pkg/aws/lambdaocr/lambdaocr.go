// Package lambdaocr is the OCR on AWS: the handler of the OCR function (a
// container-image Lambda with Tesseract, infra/ocr) and the client the
// dossier-handling functions read pages with, which invokes that function
// synchronously. The client is an extract.Reader (and StoredReader): the
// extractor, the dossier service and the OCR jobs are the very code the local
// stack runs; only the reader differs (locally, pkg/format/ocr's Engine in a
// child process of the stack).
//
// A long component is read in page ranges of at most PagesPerCall pages,
// each range its own invocation, Concurrency at a time. A stored component
// is passed by its key in the dossier bucket; a component not yet stored is
// passed inline when it fits Lambda's 6 MB synchronous payload, else staged
// under StagePrefix (a lifecycle rule expires it) and passed by key.
package lambdaocr

import "github.com/sohoa/sohoa/pkg/format/ocr"

// Request asks for the words of some pages of one component PDF: stored
// in the dossier bucket (Key), or inline (PDF, for small components: the
// synchronous payload limit is 6 MB). With Count, it asks only how many
// pages the PDF has.
type Request struct {
	Key   string `json:"key,omitempty"`
	PDF   []byte `json:"pdf,omitempty"`
	Pages []int  `json:"pages,omitempty"`
	MRZ   bool   `json:"mrz,omitempty"`
	Lang  string `json:"lang,omitempty"`
	Count bool   `json:"count,omitempty"`
}

// Response holds one ocr.Page per requested page, in order; or, for a
// Count request, the page count.
type Response struct {
	Pages []ocr.Page `json:"pages,omitempty"`
	Count int        `json:"count,omitempty"`
}

// MaxPages is the most pages one invocation reads: a long component is
// read by several invocations in page ranges.
const MaxPages = 50

// MaxPayload is Lambda's limit on a synchronous invocation's request and
// response: 6 MB.
const MaxPayload = 6 << 20

// MaxInline is the largest PDF passed inline: base64 in JSON makes it 4/3
// as large, which keeps the request under MaxPayload.
const MaxInline = 4 << 20

// StagePrefix is where a PDF too large to pass inline is put for the
// function to read (under components/, which is all the function may
// read; the template's lifecycle rule expires it after a day).
const StagePrefix = "components/ocr-staging/"
