package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/dev/pki"
	"github.com/sohoa/sohoa/pkg/format/pades"
	"github.com/sohoa/sohoa/pkg/format/pades/padestest"
)

// TestPadesVerifierReportsModifications: what /v1/verify answers carries the
// verifier's revocation status and names the changes made after signing.
func TestPadesVerifierReportsModifications(t *testing.T) {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	p, err := pki.LoadOrCreate(t.TempDir(), pki.Options{BaseURL: srv.URL + "/pki", Agency: "UBND", Officers: []pki.Officer{{ID: "a", Name: "Cán bộ"}}})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/pki/", p.Handler())
	c, _ := p.Officer("a")
	signed, err := pades.Sign(context.Background(), padestest.PDF(1, false), pades.Options{Signer: c.Signer, Chain: c.Chain, Name: c.Name,
		TSAURL: p.TSAURL(), Roots: p.Roots(), HTTPClient: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	v := api.PadesVerifier{Roots: p.Roots()}
	rep, err := v.Verify(context.Background(), signed)
	if err != nil || !rep.Valid || rep.Signatures[0].Revocation != "good" || len(rep.Signatures[0].Modifications) != 0 {
		t.Fatalf("our signed file: %v %+v", err, rep)
	}
	// The page's content stream (object 5) redefined in an appended update.
	prev := regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`).FindSubmatch(signed)[1]
	var b bytes.Buffer
	b.Write(signed)
	off := b.Len()
	content := "BT /F1 18 Tf 72 760 Td (GIA MAO) Tj ET"
	fmt.Fprintf(&b, "5 0 obj\n<</Length %d>>\nstream\n%s\nendstream\nendobj\n", len(content), content)
	x := b.Len()
	fmt.Fprintf(&b, "xref\n5 1\n%010d 00000 n\r\ntrailer\n<</Size 100/Root 1 0 R/Prev %s>>\nstartxref\n%d\n%%%%EOF\n", off, prev, x)
	rep, err = v.Verify(context.Background(), b.Bytes())
	if err != nil || rep.Valid || len(rep.Signatures[0].Modifications) == 0 || !strings.Contains(rep.Signatures[0].Modifications[0], "object 5") {
		t.Errorf("content changed after signing: %v %+v", err, rep)
	}
}
