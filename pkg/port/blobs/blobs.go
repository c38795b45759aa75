// Package blobs opens the buckets that hold Sohoa's file contents (scans,
// components, results, vault files) as portable gocloud.dev/blob Buckets: a
// folder on disk for the local stack (fileblob) and S3 on AWS (s3blob). Callers
// use *blob.Bucket and gcerrors codes, never a backend's own types.
//
// Both kinds pass blobs/blobstest. It is not for records: see package records.
//
// Keys must not end in ".attrs": fileblob keeps each blob's attributes (content
// type, MD5, metadata) in a sidecar file of that name and refuses such keys.
package blobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
)

// OpenLocal opens (creating if needed) the folder dir as a bucket. Blobs are
// written to a temporary file and renamed into place, so a reader never sees
// half a blob; the temporary file is made next to the blob when dir is on
// another filesystem than os.TempDir (a rename cannot cross filesystems).
func OpenLocal(dir string) (*blob.Bucket, error) {
	return openLocal(dir, nil)
}

func openLocal(dir string, signer fileblob.URLSigner) (*blob.Bucket, error) {
	if dir == "" {
		return nil, errors.New("blobs: empty directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("blobs: %w", err)
	}
	nearTemp, err := renamesFromTemp(dir)
	if err != nil {
		return nil, fmt.Errorf("blobs: %w", err)
	}
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{
		CreateDir: true,
		NoTempDir: !nearTemp,
		Metadata:  fileblob.MetadataInSidecar,
		URLSigner: signer,
	})
	if err != nil {
		return nil, fmt.Errorf("blobs: open %s: %w", dir, err)
	}
	return b, nil
}

// renamesFromTemp reports whether a file made in os.TempDir can be renamed
// into dir.
func renamesFromTemp(dir string) (bool, error) {
	f, err := os.CreateTemp("", "sohoa-probe-*")
	if err != nil {
		return false, nil // no usable temp dir: write next to the blobs
	}
	name := f.Name()
	f.Close()
	defer os.Remove(name)
	dst := filepath.Join(dir, filepath.Base(name))
	if err := os.Rename(name, dst); err != nil {
		var le *os.LinkError
		if errors.As(err, &le) {
			return false, nil
		}
		return false, err
	}
	return true, os.Remove(dst)
}

// Put writes data to key of b, as b.WriteAll does, without the two MD5 sums
// WriteAll computes over the bytes (one to send, one to check its own writer
// against): on scans and components of tens of megabytes they cost more than
// the write. The stores check what they keep themselves (S3 the checksum of
// each request, the local bucket the MD5 it records beside each blob).
func Put(ctx context.Context, b *blob.Bucket, key string, data []byte, opts *blob.WriterOptions) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := b.NewWriter(wctx, key, opts)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		cancel() // a writer cancelled before Close discards what it has
		_ = w.Close()
		return err
	}
	return w.Close()
}
