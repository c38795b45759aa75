// Package blobstest is the conformance suite of what Sohoa relies on from a
// gocloud.dev/blob Bucket: every way of opening a bucket in package blobs (a
// local folder, S3) runs RunConformance from its tests, so that both are proven
// to behave alike. gocloud's own drivertest covers the drivers in depth; this
// suite pins the behaviours our code depends on, against our open helpers.
//
// It is not for testing code that uses a bucket: open a local one there.
package blobstest

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// LargeSize is the size of the large streaming write (50 MiB).
const LargeSize = 50 << 20

// Options tells the suite what a backend does not promise.
type Options struct {
	// AtomicCreate: racing IfNotExist writers of one key are settled by the
	// backend, exactly one wins (S3 conditional writes). gocloud's fileblob
	// checks then renames, so there several can win; Sohoa never relies on
	// it (blob keys carry random or content-derived parts, and the records
	// table's conditional writes arbitrate).
	AtomicCreate bool
	// Presigned, if set, returns an empty bucket and how it presigns a GET:
	// the PresignedGet case reads an object through such a URL, without
	// credentials, and finds the headers it was signed with.
	Presigned func(t *testing.T) (*blob.Bucket, PresignGet)
}

// PresignGet returns a URL that reads key until expiry, answered with
// contentType and disposition as Content-Type and Content-Disposition.
type PresignGet func(ctx context.Context, key, contentType, disposition string, expiry time.Duration) (string, error)

// RunConformance runs the suite against buckets made by newBucket. newBucket
// is called once per subtest and must return an empty bucket that stays
// usable until the end of the subtest (it registers its own cleanup, Close
// included, with t.Cleanup). Subtests run in parallel.
func RunConformance(t *testing.T, newBucket func(t *testing.T) *blob.Bucket, o Options) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, b *blob.Bucket)
	}{
		{"RoundTrip", testRoundTrip},
		{"NotFound", testNotFound},
		{"IfNotExist", func(t *testing.T, b *blob.Bucket) { testIfNotExist(t, b, o.AtomicCreate) }},
		{"Overwrite", testOverwrite},
		{"List", testList},
		{"Delete", testDelete},
		{"RangeRead", testRangeRead},
		{"CancelledWrite", testCancelledWrite},
		{"LargeStreaming", testLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newBucket(t))
		})
	}
	if o.Presigned != nil {
		t.Run("PresignedGet", func(t *testing.T) {
			t.Parallel()
			b, presign := o.Presigned(t)
			testPresignedGet(t, b, presign)
		})
	}
}

// testPresignedGet reads an object through a presigned URL: the bytes, the
// headers asked for (not the object's own), a range; the URL opens nothing
// else, and no other method.
func testPresignedGet(t *testing.T, b *blob.Bucket, presign PresignGet) {
	ctx := ctxOf(t)
	key := "components/0001/giấy khai sinh bản sao.pdf"
	data := bytes.Repeat([]byte("%PDF-1.7 presigned "), 4096)
	write(t, b, key, data, &blob.WriterOptions{ContentType: "application/octet-stream"})
	write(t, b, "components/0001/other.pdf", []byte("other"), nil)
	disp := `inline; filename="GKS.pdf"; filename*=UTF-8''gi%E1%BA%A5y%20khai%20sinh.pdf`
	u, err := presign(ctx, key, "application/pdf", disp, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, u string, h map[string]string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range h {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, body
	}
	res, body := do(http.MethodGet, u, nil)
	if res.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
		t.Fatalf("GET presigned: %d, %d bytes (want 200, %d bytes): %.200s", res.StatusCode, len(body), len(data), body)
	}
	if ct, cd := res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"); ct != "application/pdf" || cd != disp {
		t.Errorf("presigned GET answered Content-Type %q, Content-Disposition %q; want %q, %q", ct, cd, "application/pdf", disp)
	}
	res, body = do(http.MethodGet, u, map[string]string{"Range": "bytes=9-18"})
	if res.StatusCode != http.StatusPartialContent || string(body) != string(data[9:19]) {
		t.Errorf("ranged GET: %d %q, want 206 %q", res.StatusCode, body, data[9:19])
	}
	if res, _ := do(http.MethodPut, u, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("PUT to a GET URL: %d, want 403", res.StatusCode)
	}
	other := strings.Replace(u, url.PathEscape("giấy khai sinh bản sao.pdf"), "other.pdf", 1)
	other = strings.Replace(other, url.QueryEscape(key), url.QueryEscape("components/0001/other.pdf"), 1)
	if other == u {
		t.Fatalf("the test cannot find the key in %s", u)
	}
	if res, body := do(http.MethodGet, other, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("GET of another key with the same signature: %d %.100s, want 403", res.StatusCode, body)
	}
	for _, bad := range []time.Duration{0, -time.Minute, time.Hour} {
		if _, err := presign(ctx, key, "application/pdf", "inline", bad); err == nil {
			t.Errorf("presign for %v succeeded", bad)
		}
	}
}

func ctxOf(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func write(t *testing.T, b *blob.Bucket, key string, data []byte, opts *blob.WriterOptions) {
	t.Helper()
	if err := b.WriteAll(ctxOf(t), key, data, opts); err != nil {
		t.Fatalf("WriteAll(%q): %v", key, err)
	}
}

func wantCode(t *testing.T, what string, err error, code gcerrors.ErrorCode) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %v", what, code)
	}
	if c := gcerrors.Code(err); c != code {
		t.Fatalf("%s: %v (code %v), want %v", what, err, c, code)
	}
}

func testRoundTrip(t *testing.T, b *blob.Bucket) {
	ctx := ctxOf(t)
	cases := []struct {
		key, contentType string
		data             []byte
		meta             map[string]string
	}{
		{"scans/000.00.01.H29-261123-0001/scan.pdf", "application/pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), map[string]string{"dossier": "000.00.01.H29-261123-0001"}},
		{"vault/079200000001/giấy khai sinh (bản sao).pdf", "application/pdf", []byte("%PDF-1.4 body"), nil},
		{"results/a+b=c&d.json", "application/json", []byte(`{"ok":true}`), nil},
		{"empty", "application/octet-stream", []byte{}, nil},
		{"deep/a/b/c/d/e/f.png", "image/png", bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 1000), nil},
	}
	for _, c := range cases {
		write(t, b, c.key, c.data, &blob.WriterOptions{ContentType: c.contentType, Metadata: c.meta})
		got, err := b.ReadAll(ctx, c.key)
		if err != nil {
			t.Fatalf("ReadAll(%q): %v", c.key, err)
		}
		if !bytes.Equal(got, c.data) {
			t.Fatalf("ReadAll(%q): %d bytes differ from the %d written", c.key, len(got), len(c.data))
		}
		a, err := b.Attributes(ctx, c.key)
		if err != nil {
			t.Fatalf("Attributes(%q): %v", c.key, err)
		}
		if a.Size != int64(len(c.data)) {
			t.Errorf("%q: Size %d, want %d", c.key, a.Size, len(c.data))
		}
		if a.ContentType != c.contentType {
			t.Errorf("%q: ContentType %q, want %q", c.key, a.ContentType, c.contentType)
		}
		sum := md5.Sum(c.data)
		if !bytes.Equal(a.MD5, sum[:]) {
			t.Errorf("%q: MD5 %x, want %x", c.key, a.MD5, sum)
		}
		if a.ETag == "" {
			t.Errorf("%q: no ETag", c.key)
		}
		if a.ModTime.IsZero() || time.Since(a.ModTime) > time.Hour || time.Until(a.ModTime) > time.Hour {
			t.Errorf("%q: ModTime %v is not about now", c.key, a.ModTime)
		}
		for k, v := range c.meta {
			if a.Metadata[k] != v {
				t.Errorf("%q: metadata %q = %q, want %q", c.key, k, a.Metadata[k], v)
			}
		}
		ok, err := b.Exists(ctx, c.key)
		if err != nil || !ok {
			t.Errorf("Exists(%q) = %v, %v", c.key, ok, err)
		}
		r, err := b.NewReader(ctx, c.key, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.ContentType() != c.contentType || r.Size() != int64(len(c.data)) {
			t.Errorf("%q: reader says %q, %d bytes", c.key, r.ContentType(), r.Size())
		}
		r.Close()
	}
}

func testNotFound(t *testing.T, b *blob.Bucket) {
	ctx := ctxOf(t)
	write(t, b, "present", []byte("x"), nil)
	_, err := b.NewReader(ctx, "absent", nil)
	wantCode(t, "NewReader of an absent key", err, gcerrors.NotFound)
	_, err = b.ReadAll(ctx, "presen")
	wantCode(t, "ReadAll of a key's prefix", err, gcerrors.NotFound)
	_, err = b.Attributes(ctx, "absent")
	wantCode(t, "Attributes of an absent key", err, gcerrors.NotFound)
	wantCode(t, "Delete of an absent key", b.Delete(ctx, "absent"), gcerrors.NotFound)
	ok, err := b.Exists(ctx, "absent")
	if err != nil || ok {
		t.Fatalf("Exists(absent) = %v, %v", ok, err)
	}
}

func testIfNotExist(t *testing.T, b *blob.Bucket, atomicCreate bool) {
	ctx := ctxOf(t)
	create := &blob.WriterOptions{IfNotExist: true, ContentType: "application/pdf"}
	write(t, b, "results/signed.pdf", []byte("first"), create)
	err := b.WriteAll(ctx, "results/signed.pdf", []byte("second"), create)
	wantCode(t, "second conditional create", err, gcerrors.FailedPrecondition)
	got, err := b.ReadAll(ctx, "results/signed.pdf")
	if err != nil || string(got) != "first" {
		t.Fatalf("after a refused create: %q, %v; want first", got, err)
	}
	a, err := b.Attributes(ctx, "results/signed.pdf")
	if err != nil || a.ContentType != "application/pdf" {
		t.Fatalf("attributes after a refused create: %+v, %v", a, err)
	}
	// After a delete, the key can be created again.
	if err := b.Delete(ctx, "results/signed.pdf"); err != nil {
		t.Fatal(err)
	}
	write(t, b, "results/signed.pdf", []byte("third"), create)

	if !atomicCreate {
		return
	}
	// Of racing creators, exactly one wins.
	const n = 6
	errc := make(chan error, n)
	for i := range n {
		go func() {
			errc <- b.WriteAll(ctx, "race", []byte(fmt.Sprint(i)), &blob.WriterOptions{IfNotExist: true})
		}()
	}
	wins := 0
	for range n {
		err := <-errc
		switch {
		case err == nil:
			wins++
		case gcerrors.Code(err) != gcerrors.FailedPrecondition:
			t.Fatalf("racing create: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d racing creators won, want 1", wins)
	}
}

func testOverwrite(t *testing.T, b *blob.Bucket) {
	ctx := ctxOf(t)
	write(t, b, "k", []byte("old, longer content"), &blob.WriterOptions{ContentType: "text/plain"})
	write(t, b, "k", []byte("new"), &blob.WriterOptions{ContentType: "application/json"})
	got, err := b.ReadAll(ctx, "k")
	if err != nil || string(got) != "new" {
		t.Fatalf("after overwrite: %q %v", got, err)
	}
	a, err := b.Attributes(ctx, "k")
	if err != nil || a.Size != 3 || a.ContentType != "application/json" {
		t.Fatalf("attributes after overwrite: %+v %v", a, err)
	}
}

func listKeys(t *testing.T, b *blob.Bucket, opts *blob.ListOptions) []string {
	t.Helper()
	var keys []string
	it := b.List(opts)
	for {
		obj, err := it.Next(ctxOf(t))
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("List(%+v): %v", opts, err)
		}
		if obj.IsDir {
			keys = append(keys, obj.Key+"(dir)")
		} else {
			keys = append(keys, obj.Key)
			if obj.Size <= 0 {
				t.Errorf("List: %q has size %d", obj.Key, obj.Size)
			}
		}
	}
	return keys
}

func testList(t *testing.T, b *blob.Bucket) {
	for _, k := range []string{"scans/a/1.pdf", "scans/a/2.pdf", "scans/ab/1.pdf", "scans/b/x/1.pdf", "scans.pdf", "vault/1.pdf"} {
		write(t, b, k, []byte(k), nil)
	}
	cases := []struct {
		opts *blob.ListOptions
		want []string
	}{
		{&blob.ListOptions{Prefix: "scans/a/"}, []string{"scans/a/1.pdf", "scans/a/2.pdf"}},
		{&blob.ListOptions{Prefix: "scans/a"}, []string{"scans/a/1.pdf", "scans/a/2.pdf", "scans/ab/1.pdf"}},
		{&blob.ListOptions{Prefix: "scans/"}, []string{"scans/a/1.pdf", "scans/a/2.pdf", "scans/ab/1.pdf", "scans/b/x/1.pdf"}},
		{&blob.ListOptions{Prefix: "scans/", Delimiter: "/"}, []string{"scans/a/(dir)", "scans/ab/(dir)", "scans/b/(dir)"}},
		{&blob.ListOptions{Delimiter: "/"}, []string{"scans.pdf", "scans/(dir)", "vault/(dir)"}},
		{&blob.ListOptions{Prefix: "none/"}, nil},
	}
	for _, c := range cases {
		got := listKeys(t, b, c.opts)
		if !slices.Equal(got, c.want) {
			t.Errorf("List(%+v) = %q, want %q", *c.opts, got, c.want)
		}
	}
	// Many keys come back whole, across pages.
	for i := range 120 {
		write(t, b, fmt.Sprintf("many/%03d", i), []byte("x"), nil)
	}
	if got := listKeys(t, b, &blob.ListOptions{Prefix: "many/"}); len(got) != 120 || got[0] != "many/000" || got[119] != "many/119" {
		t.Errorf("List of 120 keys returned %d", len(got))
	}
}

func testDelete(t *testing.T, b *blob.Bucket) {
	ctx := ctxOf(t)
	write(t, b, "d/1", []byte("x"), nil)
	write(t, b, "d/2", []byte("y"), nil)
	if err := b.Delete(ctx, "d/1"); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.Exists(ctx, "d/1"); err != nil || ok {
		t.Fatalf("Exists after Delete = %v, %v", ok, err)
	}
	_, err := b.ReadAll(ctx, "d/1")
	wantCode(t, "ReadAll after Delete", err, gcerrors.NotFound)
	if got := listKeys(t, b, &blob.ListOptions{Prefix: "d/"}); !slices.Equal(got, []string{"d/2"}) {
		t.Fatalf("List after Delete = %q", got)
	}
}

func testRangeRead(t *testing.T, b *blob.Bucket) {
	ctx := ctxOf(t)
	data := []byte("0123456789abcdefghij")
	write(t, b, "r", data, nil)
	cases := []struct {
		off, n int64
		want   string
	}{
		{0, 5, "01234"}, {10, 5, "abcde"}, {15, -1, "fghij"}, {18, 10, "ij"}, {0, 0, ""},
	}
	for _, c := range cases {
		r, err := b.NewRangeReader(ctx, "r", c.off, c.n, nil)
		if err != nil {
			t.Fatalf("NewRangeReader(%d, %d): %v", c.off, c.n, err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || string(got) != c.want {
			t.Errorf("range (%d, %d) = %q %v, want %q", c.off, c.n, got, err, c.want)
		}
	}
}

func testCancelledWrite(t *testing.T, b *blob.Bucket) {
	ctx, cancel := context.WithCancel(ctxOf(t))
	w, err := b.NewWriter(ctx, "cancelled", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(bytes.Repeat([]byte("x"), 1<<20)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := w.Close(); err == nil {
		t.Fatal("Close of a cancelled write succeeded")
	}
	if ok, err := b.Exists(ctxOf(t), "cancelled"); err != nil || ok {
		t.Fatalf("a cancelled write left a blob: Exists = %v, %v", ok, err)
	}
}

// pattern is a deterministic, non-repeating-looking stream of n bytes.
type pattern struct {
	n, off int64
	x      uint64
}

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	if int64(len(b)) > p.n-p.off {
		b = b[:p.n-p.off]
	}
	for i := range b {
		p.x = p.x*6364136223846793005 + 1442695040888963407
		b[i] = byte(p.x >> 56)
	}
	p.off += int64(len(b))
	return len(b), nil
}

func testLarge(t *testing.T, b *blob.Bucket) {
	if testing.Short() {
		t.Skip("50 MiB write skipped in -short mode")
	}
	ctx := ctxOf(t)
	w, err := b.NewWriter(ctx, "large/scan.pdf", &blob.WriterOptions{ContentType: "application/pdf"})
	if err != nil {
		t.Fatal(err)
	}
	var sum hash.Hash = md5.New()
	// Written in odd-sized chunks through the io.Writer, never whole in memory.
	buf := make([]byte, 1<<20+7)
	src := &pattern{n: LargeSize}
	n, err := io.CopyBuffer(io.MultiWriter(w, sum), src, buf)
	if err != nil {
		w.Close()
		t.Fatalf("streaming write: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("closing the streaming write: %v", err)
	}
	if n != LargeSize {
		t.Fatalf("wrote %d bytes", n)
	}
	want := sum.Sum(nil)
	a, err := b.Attributes(ctx, "large/scan.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if a.Size != LargeSize || a.ContentType != "application/pdf" {
		t.Fatalf("large blob: size %d, type %q", a.Size, a.ContentType)
	}
	// A multipart upload has no MD5 attribute; when there is one it is right.
	if a.MD5 != nil && !bytes.Equal(a.MD5, want) {
		t.Fatalf("large blob MD5 %x, want %x", a.MD5, want)
	}
	r, err := b.NewReader(ctx, "large/scan.pdf", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	back := md5.New()
	if m, err := io.CopyBuffer(back, r, buf); err != nil || m != LargeSize {
		t.Fatalf("read back %d bytes: %v", m, err)
	}
	if got := back.Sum(nil); !bytes.Equal(got, want) {
		t.Fatalf("read back MD5 %x, want %x", got, want)
	}
}
