package lambdaocr

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"gocloud.dev/blob"
	"golang.org/x/sync/errgroup"

	"github.com/sohoa/sohoa/pkg/domain/extract"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/ocr"
	"github.com/sohoa/sohoa/pkg/port/blobs"
)

// Defaults of the Client.
const (
	// DefaultPagesPerCall keeps one invocation well within the function's
	// timeout (10 pages at 1–2.6 s a page on one core).
	DefaultPagesPerCall = 10
	// DefaultConcurrency is how many invocations one component's reading
	// runs at once.
	DefaultConcurrency = 8
	// MaxComponentPages bounds a page count the function answers.
	MaxComponentPages = 5000
)

// Client reads pages by invoking the OCR function synchronously
// (RequestResponse). It implements extract.StoredReader.
type Client struct {
	Lambda   *lambda.Client
	Function string // the OCR function's name or ARN
	// Bucket is the dossier bucket: a PDF too large to pass inline is
	// staged there under StagePrefix. Nil: such a PDF is refused.
	Bucket *blob.Bucket
	// PagesPerCall is the most pages one invocation reads (default
	// DefaultPagesPerCall, at most MaxPages).
	PagesPerCall int
	// Concurrency is how many invocations run at once (default DefaultConcurrency).
	Concurrency int
	// InlineLimit is the largest PDF passed inline (default and at most
	// MaxInline); a larger one is staged.
	InlineLimit int
}

var _ extract.StoredReader = (*Client)(nil)

// FunctionError is what the OCR function answered instead of pages
// (X-Amz-Function-Error): its handler failed, timed out or crashed. The
// Client returns it wrapped in an errs.Unavailable error: the reading is
// worth retrying (an OCR job is delivered again).
type FunctionError struct {
	Function string
	Reading  string // what was asked, e.g. "pages 11–20"
	Type     string `json:"errorType"`
	Message  string `json:"errorMessage"`
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("the OCR function %s failed reading %s: %s: %s", e.Function, e.Reading, e.Type, e.Message)
}

// Document reads the given pages (nil: all) of pdf, passed inline or, when
// it is larger than MaxInline, staged in the bucket.
func (c *Client) Document(ctx context.Context, pdf []byte, pages []int, opt ocr.Options, progress func(done, total int)) ([]ocr.Page, error) {
	src := Request{PDF: pdf}
	limit := c.InlineLimit
	if limit <= 0 || limit > MaxInline {
		limit = MaxInline
	}
	if len(pdf) > limit {
		key, err := c.stage(ctx, pdf)
		if err != nil {
			return nil, err
		}
		src = Request{Key: key}
	}
	return c.read(ctx, src, pages, opt, progress)
}

// StoredDocument reads the given pages (nil: all) of the component stored
// under key in the dossier bucket: the function reads it there.
func (c *Client) StoredDocument(ctx context.Context, key string, pages []int, opt ocr.Options, progress func(done, total int)) ([]ocr.Page, error) {
	return c.read(ctx, Request{Key: key}, pages, opt, progress)
}

// stage puts pdf under StagePrefix, named by its hash (a retry stages
// nothing twice), and returns its key.
func (c *Client) stage(ctx context.Context, pdf []byte) (string, error) {
	if c.Bucket == nil {
		return "", errs.E(errs.TooLarge, "lambdaocr: a PDF of %d bytes is too large to pass inline and no bucket is configured to stage it", len(pdf))
	}
	sum := sha256.Sum256(pdf)
	key := StagePrefix + hex.EncodeToString(sum[:]) + ".pdf"
	if err := blobs.Put(ctx, c.Bucket, key, pdf, &blob.WriterOptions{ContentType: "application/pdf"}); err != nil {
		return "", fmt.Errorf("lambdaocr: stage %s: %w", key, err)
	}
	return key, nil
}

func (c *Client) read(ctx context.Context, src Request, pages []int, opt ocr.Options, progress func(done, total int)) ([]ocr.Page, error) {
	if len(pages) == 0 {
		n, err := c.count(ctx, src)
		if err != nil {
			return nil, err
		}
		for i := 1; i <= n; i++ {
			pages = append(pages, i)
		}
	}
	per := c.PagesPerCall
	if per <= 0 {
		per = DefaultPagesPerCall
	}
	per = min(per, MaxPages)
	conc := c.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	out := make([]ocr.Page, len(pages))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(conc)
	var (
		mu   sync.Mutex
		done int
	)
	for from := 0; from < len(pages); from += per {
		rng := pages[from:min(from+per, len(pages))]
		g.Go(func() (err error) {
			defer func() { // a bug met by one answer fails this reading, not the process
				if r := recover(); r != nil {
					err = fmt.Errorf("lambdaocr: reading pages %s: panic: %v", span(rng), r)
				}
			}()
			got, err := c.readRange(gctx, src, rng, opt)
			if err != nil {
				return err
			}
			copy(out[from:], got)
			mu.Lock()
			defer mu.Unlock()
			done += len(rng)
			if progress != nil {
				progress(done, len(pages))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// readRange reads the pages rng in one invocation. An answer over Lambda's
// 6 MB (pages dense with words) is read again in two halves.
func (c *Client) readRange(ctx context.Context, src Request, rng []int, opt ocr.Options) ([]ocr.Page, error) {
	req := src
	req.Pages, req.MRZ, req.Lang = rng, opt.MRZ, opt.Lang
	var resp Response
	if err := c.call(ctx, req, &resp); err != nil {
		var fe *FunctionError
		if len(rng) > 1 && errors.As(err, &fe) && fe.Type == ResponseTooLarge {
			first, err := c.readRange(ctx, src, rng[:len(rng)/2], opt)
			if err != nil {
				return nil, err
			}
			second, err := c.readRange(ctx, src, rng[len(rng)/2:], opt)
			if err != nil {
				return nil, err
			}
			return append(first, second...), nil
		}
		return nil, err
	}
	if len(resp.Pages) != len(rng) {
		return nil, fmt.Errorf("lambdaocr: the OCR function answered %d pages for %d (pages %s)", len(resp.Pages), len(rng), span(rng))
	}
	for i, p := range resp.Pages {
		if p.Number != rng[i] {
			return nil, fmt.Errorf("lambdaocr: the OCR function answered page %d for page %d", p.Number, rng[i])
		}
	}
	return resp.Pages, nil
}

// ResponseTooLarge is the error type Lambda gives a function whose answer
// is over its synchronous limit.
const ResponseTooLarge = "Function.ResponseSizeTooLarge"

// count asks the function how many pages the PDF has.
func (c *Client) count(ctx context.Context, src Request) (int, error) {
	src.Count = true
	var resp Response
	if err := c.call(ctx, src, &resp); err != nil {
		return 0, err
	}
	if resp.Count < 1 || resp.Count > MaxComponentPages {
		return 0, fmt.Errorf("lambdaocr: the OCR function counted %d pages (1 to %d)", resp.Count, MaxComponentPages)
	}
	return resp.Count, nil
}

// call invokes the function once and decodes its answer into resp.
func (c *Client) call(ctx context.Context, req Request, resp *Response) error {
	what := "the page count"
	if !req.Count {
		what = "pages " + span(req.Pages)
	}
	payload, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("lambdaocr: encode the request: %w", err)
	}
	if len(payload) > MaxPayload {
		return errs.E(errs.TooLarge, "lambdaocr: a request of %d bytes is over Lambda's %d", len(payload), MaxPayload)
	}
	out, err := c.Lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(c.Function),
		InvocationType: types.InvocationTypeRequestResponse, Payload: payload})
	if err != nil {
		var throttled *types.TooManyRequestsException
		var tooLarge *types.RequestTooLargeException
		var notFound *types.ResourceNotFoundException
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("lambdaocr: reading %s: %w", what, ctx.Err())
		case errors.As(err, &throttled):
			return &errs.Error{Kind: errs.Unavailable, Err: err,
				Message: fmt.Sprintf("lambdaocr: the OCR function %s is throttled (reading %s); retry later", c.Function, what)}
		case errors.As(err, &tooLarge):
			return &errs.Error{Kind: errs.TooLarge, Err: err,
				Message: fmt.Sprintf("lambdaocr: the request for %s is over Lambda's payload limit", what)}
		case errors.As(err, &notFound): // a deployment error: no retry mends it
			return &errs.Error{Kind: errs.Internal, Err: err,
				Message: fmt.Sprintf("lambdaocr: there is no OCR function %s", c.Function)}
		default:
			return &errs.Error{Kind: errs.Unavailable, Err: err,
				Message: fmt.Sprintf("lambdaocr: invoking the OCR function %s for %s failed; retry later", c.Function, what)}
		}
	}
	if out.FunctionError != nil {
		fe := &FunctionError{Function: c.Function, Reading: what}
		if json.Unmarshal(out.Payload, fe) != nil || fe.Type == "" {
			fe.Type, fe.Message = aws.ToString(out.FunctionError), string(out.Payload[:min(len(out.Payload), 500)])
		}
		return &errs.Error{Kind: errs.Unavailable, Message: "lambdaocr: the OCR function failed; retry later", Err: fe}
	}
	if err := json.Unmarshal(out.Payload, resp); err != nil {
		return fmt.Errorf("lambdaocr: the OCR function's answer for %s: %w", what, err)
	}
	return nil
}

// span names a page range for messages: "3", "11–20" or "1, 4, 9".
func span(pages []int) string {
	switch {
	case len(pages) == 0:
		return "none"
	case len(pages) == 1:
		return fmt.Sprint(pages[0])
	case pages[len(pages)-1]-pages[0] == len(pages)-1:
		return fmt.Sprintf("%d–%d", pages[0], pages[len(pages)-1])
	}
	return fmt.Sprint(pages)
}
