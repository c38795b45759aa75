package dossier_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
	"github.com/sohoa/sohoa/pkg/port/queue"
	"github.com/sohoa/sohoa/pkg/testkit/localtest"
)

// stampSealer stands in for the seal port: like a real seal (a new signing
// time every call) it gives other bytes each time it certifies the same PDF.
type stampSealer struct{}

func (stampSealer) Certify(_ context.Context, pdf []byte, m dossier.ConversionMark) ([]byte, dossier.MarkPlacement, error) {
	n := make([]byte, 8)
	_, _ = rand.Read(n)
	return append(append([]byte(nil), pdf...), fmt.Sprintf("%% sealed %s %s\n", m.Component, hex.EncodeToString(n))...), dossier.MarkTopLeft, nil
}

// failingVault is the vault port failing its n-th Issue (a storage fault).
type failingVault struct {
	*vault.Service
	mu     sync.Mutex
	calls  int
	failAt int
}

func (f *failingVault) Issue(ctx context.Context, n vault.NewDocument, b []byte) (*vault.Document, error) {
	f.mu.Lock()
	f.calls++
	fail := f.calls == f.failAt
	f.mu.Unlock()
	if fail {
		return nil, errs.E(errs.Unavailable, "vault storage is down")
	}
	return f.Service.Issue(ctx, n, b)
}

// crashAt is a Checkpoint that panics (a crash, for an in-process test) the
// n-th time step is reached.
type crashAt struct {
	mu    sync.Mutex
	step  string
	n     int
	count int
}

type crashed struct{}

func (c *crashAt) hit(step string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if step != c.step {
		return
	}
	c.count++
	if c.count == c.n {
		panic(crashed{})
	}
}

func survive(f func() error) (err error, died bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(crashed); !ok {
				panic(r)
			}
			died = true
		}
	}()
	return f(), false
}

func (e *env) service(t *testing.T, mut func(c *dossier.Config)) *dossier.Service {
	t.Helper()
	c := e.cfg
	mut(&c)
	svc, err := dossier.NewService(c)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	return svc
}

// certifiedInVault checks that every certified scanned component of d is in
// the owner's vault exactly once, with the dossier's bytes, as version 1.
func certifiedInVault(t *testing.T, e *env, d *dossier.Dossier) {
	t.Helper()
	docs, err := e.v.List(context.Background(), owner, vault.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	byKind := map[string][]*vault.Document{}
	for _, doc := range docs {
		if doc.Dossier == d.Code {
			byKind[doc.Kind] = append(byKind[doc.Kind], doc)
		}
	}
	n := 0
	for _, c := range d.Components {
		if c.Source != dossier.SourceScan || !c.Certified {
			continue
		}
		n++
		got := byKind[c.Code]
		if len(got) != 1 || got[0].SHA256 != c.SHA256 || got[0].Version != 1 || len(got[0].History) != 0 {
			t.Fatalf("%s of %s in the vault: %d documents %+v, want one with sha %s", c.Code, d.Code, len(got), got, c.SHA256)
		}
	}
	if n == 0 || len(byKind) != n {
		t.Fatalf("%d certified components, %d kinds in the vault", n, len(byKind))
	}
}

// TestValidatedOnlyWithEveryCertifiedCopy: a vault fault during ingestion
// fails the job and leaves the dossier SCANNED (never VALIDATED with a copy
// missing); the redelivered job fills the gap and duplicates nothing.
func TestValidatedOnlyWithEveryCertifiedCopy(t *testing.T) {
	heavy(t)
	e := newEnv(t)
	ctx := context.Background()
	fv := &failingVault{Service: e.v, failAt: 2}
	svc := e.service(t, func(c *dossier.Config) { c.Sealer, c.Vault = stampSealer{}, fv })
	d := e.create(t)
	if _, err := svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(complete(t))); err != nil {
		t.Fatal(err)
	}
	ms, err := e.q.Receive(ctx, dossier.TopicIngest, 1, 0, 0)
	if err != nil || len(ms) != 1 {
		t.Fatalf("receive: %v %d", err, len(ms))
	}
	if err := svc.RunIngest(ctx, ms[0]); err == nil {
		t.Fatal("a vault fault did not fail the job")
	}
	if got, _ := svc.Get(ctx, clerk, d.ID); got.Status != dossier.Scanned {
		t.Fatalf("after a vault fault the dossier is %s", got.Status)
	}
	for i := 0; i < 2; i++ { // redelivered, then delivered once more
		if err := svc.RunIngest(ctx, ms[0]); err != nil {
			t.Fatalf("redelivery %d: %v", i, err)
		}
	}
	got, _ := svc.Get(ctx, clerk, d.ID)
	if got.Status != dossier.Validated {
		t.Fatalf("status %s %+v", got.Status, got.Findings)
	}
	certifiedInVault(t, e, got)
}

// TestCrashAtEveryIngestStep: a crash at each step of an ingestion (the
// certified copies' bytes written, their records written, the dossier saved)
// followed by the job's redelivery ends with every copy in the vault once.
func TestCrashAtEveryIngestStep(t *testing.T) {
	heavy(t)
	for _, step := range []struct {
		name string
		n    int
	}{
		{"vault.issue.blob", 1}, {"vault.issue.record", 1}, {"vault.issue.blob", 2}, {"vault.issue.record", 3},
		{"ingest.issue", 2}, {"ingest.issued", 1}, {"ingest.saved", 1},
	} {
		t.Run(fmt.Sprintf("%s#%d", step.name, step.n), func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			crash := &crashAt{step: step.name, n: step.n}
			db := localtest.DB(t)
			e.q = db.Queue()
			e.v = vault.New(db.Table(), e.blobs, &vault.Options{Checkpoint: crash.hit})
			svc := e.service(t, func(c *dossier.Config) {
				c.Records, c.Queue, c.Vault, c.Sealer, c.Checkpoint = db.Table(), db.Queue(), e.v, stampSealer{}, crash.hit
			})
			d := e.create(t)
			if _, err := svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(complete(t))); err != nil {
				t.Fatal(err)
			}
			ms, _ := e.q.Receive(ctx, dossier.TopicIngest, 1, 0, 0)
			if _, died := survive(func() error { return svc.RunIngest(ctx, ms[0]) }); !died {
				t.Fatalf("never reached %s#%d", step.name, step.n)
			}
			if err := svc.RunIngest(ctx, ms[0]); err != nil {
				t.Fatal(err)
			}
			got, _ := svc.Get(ctx, clerk, d.ID)
			if got.Status != dossier.Validated {
				t.Fatalf("status %s", got.Status)
			}
			certifiedInVault(t, e, got)
		})
	}
}

// TestSignedResultOnceAfterCrash: a crash after the signed result is in the
// vault and before RESULT_ISSUED is saved; signing again replaces the bytes
// of the one document instead of adding a version or a document.
func TestSignedResultOnceAfterCrash(t *testing.T) {
	heavy(t)
	e := newEnv(t)
	ctx := context.Background()
	crash := &crashAt{step: "sign.issued", n: 1}
	svc := e.service(t, func(c *dossier.Config) { c.Signer, c.Checkpoint = &flakySigner{}, crash.hit })
	d := e.create(t)
	if _, err := svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(complete(t))); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	if _, err := svc.Decide(ctx, officer, d.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PutResult(ctx, officer, d.ID, bytes.NewReader([]byte("%PDF-1.7\nresult\n%%EOF\n"))); err != nil {
		t.Fatal(err)
	}
	if _, died := survive(func() error { _, err := svc.SignResult(ctx, officer, d.ID, "cred", "123456"); return err }); !died {
		t.Fatal("no crash")
	}
	if got, _ := svc.Get(ctx, officer, d.ID); got.Status != dossier.Approved {
		t.Fatalf("after the crash: %s", got.Status)
	}
	doc, err := svc.SignResult(ctx, officer, d.ID, "cred", "123456")
	if err != nil {
		t.Fatal(err)
	}
	docs, _ := e.v.List(ctx, owner, vault.Filter{Kind: "GKS"})
	if len(docs) != 1 || docs[0].ID != doc || docs[0].Version != 1 {
		t.Fatalf("vault after the retry: %+v", docs)
	}
}

// consentEnv is an env whose vault sends consent codes to a recorded outbox.
type codeBox struct {
	mu   sync.Mutex
	sent []string // "to|body"
}

func (b *codeBox) SendCode(_ context.Context, to vault.Contact, _, body string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sent = append(b.sent, to.Email+"|"+to.Phone+"|"+body)
	return nil
}

var sixDigits = regexp.MustCompile(`mã (\d{6})`)

func withConsent(t *testing.T) (*env, *codeBox) {
	e := newEnv(t)
	box := &codeBox{}
	db := localtest.DB(t)
	e.q = db.Queue()
	e.v = vault.New(db.Table(), e.blobs, &vault.Options{Now: func() time.Time { return e.now }, Codes: box})
	e.service(t, func(c *dossier.Config) { c.Records, c.Queue, c.Vault = db.Table(), db.Queue(), e.v })
	return e, box
}

// TestReuseNeedsConsent: a clerk types a citizen's ID; the scan lacks the
// CCCD the citizen has in their vault. The dossier reveals nothing of the
// vault (the same answer as for a citizen whose vault is empty), the officer
// reads nothing, the code goes to the contact on record in the vault (not the
// one typed), a wrong code is refused, the right one brings the CCCD in.
func TestReuseNeedsConsent(t *testing.T) {
	heavy(t)
	e, box := withConsent(t)
	ctx := context.Background()
	if err := e.v.SetContact(ctx, owner, vault.Contact{Email: "an@vneid.example"}); err != nil {
		t.Fatal(err)
	}
	cccd, err := e.v.Issue(ctx, vault.NewDocument{Owner: owner.Subject, Kind: "CCCD", Title: "Căn cước công dân", Certified: true},
		[]byte("%PDF-1.7 certified copy\n%%EOF\n"))
	if err != nil {
		t.Fatal(err)
	}
	missing := scanOf(t, "missing",
		scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"))
	open := func(id string) *dossier.Dossier {
		d, err := e.svc.Create(ctx, clerk, dossier.CreateInput{Procedure: birthReg,
			Citizen: dossier.Citizen{ID: id, Name: "anyone", Email: "attacker@evil.example"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(missing)); err != nil {
			t.Fatal(err)
		}
		e.drain(t)
		got, _ := e.svc.Get(ctx, clerk, d.ID)
		return got
	}
	d := open(owner.Subject)
	empty := open("079199001234") // a citizen with nothing in their vault
	shape := func(d *dossier.Dossier) string {
		var b strings.Builder
		fmt.Fprintf(&b, "%s %d %+v |", d.Status, len(d.Components), d.Reuse)
		for _, f := range d.Findings {
			fmt.Fprintf(&b, "%s %s %s|", f.Code, f.Component, f.Message)
		}
		return b.String()
	}
	if shape(d) != shape(empty) {
		t.Fatalf("the dossier tells whether the vault holds a CCCD:\n%s\n%s", shape(d), shape(empty))
	}
	if d.Status != dossier.NeedsSupplement || d.Reuse == nil || d.Reuse.Status != vault.ReusePending {
		t.Fatalf("status %s reuse %+v", d.Status, d.Reuse)
	}
	for _, c := range d.Components {
		if c.Source == dossier.SourceVault || c.DocumentID != "" && c.DocumentID == cccd.ID || c.SHA256 == cccd.SHA256 {
			t.Fatalf("the vault's CCCD is in the dossier before consent: %+v", c)
		}
	}
	if _, err := e.svc.ComponentContent(ctx, officer, d.ID, "CCCD"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("officer reads the CCCD before consent: %v", err)
	}
	if len(box.sent) != 1 || !strings.HasPrefix(box.sent[0], "an@vneid.example|") || strings.Contains(box.sent[0], "evil") {
		t.Fatalf("codes sent: %q", box.sent)
	}
	m := sixDigits.FindStringSubmatch(box.sent[0])
	if m == nil {
		t.Fatalf("no code in %q", box.sent[0])
	}
	code := m[1]
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if _, err := e.svc.ConfirmReuse(ctx, clerk, d.ID, wrong); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("wrong code: %v", err)
	}
	if got, err := e.svc.ConfirmReuse(ctx, clerk, d.ID, code); err != nil || got.Status != dossier.Validated {
		t.Fatalf("right code: %v %+v", err, got)
	}
	got, _ := e.svc.Get(ctx, clerk, d.ID)
	var reused *dossier.Component
	for i, c := range got.Components {
		if c.Code == "CCCD" {
			reused = &got.Components[i]
		}
	}
	if reused == nil || reused.Source != dossier.SourceVault || reused.DocumentID != cccd.ID {
		t.Fatalf("CCCD after consent = %+v", reused)
	}
	if _, err := e.svc.ComponentContent(ctx, stranger, d.ID, "CCCD"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("another agency reads the vault copy: %v", err)
	}
	if b, err := e.svc.ComponentContent(ctx, officer, d.ID, "CCCD"); err != nil || !bytes.Contains(b, []byte("certified copy")) {
		t.Fatalf("officer read: %v", err)
	}
	log, v, _ := e.v.Audit(ctx, owner)
	if !v.Verified {
		t.Fatalf("log: %+v", v)
	}
	var actions []string
	for _, en := range log {
		actions = append(actions, en.Action)
	}
	if j := strings.Join(actions, ","); !strings.Contains(j, "reuse-requested") || !strings.Contains(j, "reuse-granted") || log[len(log)-1].Purpose != "dossier "+d.Code {
		t.Fatalf("access log = %s", j)
	}
}

// TestCitizenConsentsInVaultAndHiddenIsNeverReused: the citizen grants in
// their vault; a document they hid is not reused nor served.
func TestCitizenConsentsInVaultAndHiddenIsNeverReused(t *testing.T) {
	heavy(t)
	e, _ := withConsent(t)
	ctx := context.Background()
	cccd, err := e.v.Issue(ctx, vault.NewDocument{Owner: owner.Subject, Kind: "CCCD", Title: "Căn cước công dân", Certified: true},
		[]byte("%PDF-1.7 certified copy\n%%EOF\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.v.Hide(ctx, owner, cccd.ID); err != nil {
		t.Fatal(err)
	}
	missing := scanOf(t, "missing",
		scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"))
	d := e.create(t)
	if _, err := e.svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(missing)); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	other := identity.Actor{Subject: "079090000001", Role: identity.Citizen}
	if _, err := e.svc.DecideReuse(ctx, other, d.ID, true); !errs.Is(err, errs.NotFound) {
		t.Fatalf("another citizen consents: %v", err)
	}
	if _, err := e.svc.DecideReuse(ctx, owner, d.ID, true); err != nil {
		t.Fatal(err)
	}
	got, _ := e.svc.Get(ctx, clerk, d.ID)
	if got.Status != dossier.NeedsSupplement || got.Reuse.Status != vault.ReuseGranted {
		t.Fatalf("status %s reuse %+v", got.Status, got.Reuse)
	}
	for _, c := range got.Components {
		if c.Source == dossier.SourceVault {
			t.Fatalf("a hidden document was reused: %+v", c)
		}
	}
	if _, _, err := e.v.ReadForDossier(ctx, officer, owner.Subject, cccd.ID, d.Code); !errs.Is(err, errs.NotFound) {
		t.Fatalf("a hidden document was served: %v", err)
	}
}

// barrierQueue holds each Send until n uploads have reached it, so that two
// uploads race for the dossier's save.
type barrierQueue struct {
	queue.Queue
	wg *sync.WaitGroup
}

func (b barrierQueue) Send(ctx context.Context, topic string, body []byte, dedup string) error {
	b.wg.Done()
	b.wg.Wait()
	return b.Queue.Send(ctx, topic, body, dedup)
}

// TestRacingUploadsLeaveNoOrphan: two scans uploaded at once; one wins, the
// other is refused and its bytes are removed (nothing stays in storage
// belonging to no scan).
func TestRacingUploadsLeaveNoOrphan(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Add(2)
	svc := e.service(t, func(c *dossier.Config) { c.Queue = barrierQueue{Queue: e.q, wg: &wg} })
	d := e.create(t)
	errc := make(chan error, 2)
	for i := 0; i < 2; i++ {
		go func(i int) {
			_, err := svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader([]byte(fmt.Sprintf("%%PDF-1.7 scan %d\n%%%%EOF\n", i))))
			errc <- err
		}(i)
	}
	var failed int
	for i := 0; i < 2; i++ {
		if err := <-errc; err != nil {
			failed++
			if !errs.Is(err, errs.Conflict) {
				t.Errorf("the losing upload: %v, want Conflict", err)
			}
		}
	}
	got, _ := svc.Get(ctx, clerk, d.ID)
	if failed != 1 || len(got.Scans) != 1 {
		t.Fatalf("%d uploads failed, %d scans recorded", failed, len(got.Scans))
	}
	it := e.blobs.List(&blob.ListOptions{Prefix: dossier.IntakePrefix + d.ID + "/"})
	var keys []string
	for {
		obj, err := it.Next(ctx)
		if err != nil {
			break
		}
		keys = append(keys, obj.Key)
	}
	if len(keys) != 1 || keys[0] != got.Scans[0].Key {
		t.Fatalf("blobs %v for scan %s", keys, got.Scans[0].Key)
	}
}
