package dossier_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/race"

	"gocloud.dev/blob"

	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
	"github.com/sohoa/sohoa/pkg/port/queue"
	"github.com/sohoa/sohoa/pkg/testkit/localtest"
)

// birth registration: TKKS, GCS and CCCD are required; CCCD is reusable.
const birthReg = "1.001193"

var (
	clerk    = identity.Actor{Subject: "clerk-01", Role: identity.Clerk, Name: "Trần Thị Mai", PostOffice: "Bưu cục Hoàn Kiếm"}
	officer  = identity.Actor{Subject: "officer-hotich", Role: identity.Officer, Agency: "000.21.29.H29", Name: "Nguyễn Thị Lĩnh"}
	stranger = identity.Actor{Subject: "officer-x", Role: identity.Officer, Agency: "000.00.16.H29"}
	owner    = identity.Actor{Subject: "001203012345", Role: identity.Citizen}
)

type env struct {
	svc   *dossier.Service
	cfg   dossier.Config
	blobs *blob.Bucket
	q     queue.Queue
	v     *vault.Service
	now   time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := localtest.DB(t)
	b := localtest.Bucket(t)
	e := &env{q: db.Queue(), blobs: b, now: time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)} // Monday 09:00 in Hanoi
	now := func() time.Time { return e.now }
	// One clock judges every record: the table expires items by the test's.
	tbl := db.Table().WithClock(now)
	e.v = vault.New(tbl, b, &vault.Options{Now: now})
	lim := scan.DefaultLimits()
	e.cfg = dossier.Config{
		Records: tbl, Blobs: b, Queue: db.Queue(), Catalog: procedure.Default(), Calendar: calendar.Default(),
		Scans: dossier.ScanBytes(func(ctx context.Context, data []byte) (*scan.Result, error) { return scan.Split(ctx, data, lim) }),
		Vault: e.v, Now: now, Log: slog.New(slog.DiscardHandler),
	}
	var err error
	if e.svc, err = dossier.NewService(e.cfg); err != nil {
		t.Fatal(err)
	}
	return e
}

// withSigner makes e's service sign through s.
func (e *env) withSigner(t *testing.T, s dossier.ResultSigner) *dossier.Service {
	t.Helper()
	c := e.cfg
	c.Signer = s
	svc, err := dossier.NewService(c)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	return svc
}

func (e *env) create(t *testing.T) *dossier.Dossier {
	t.Helper()
	d, err := e.svc.Create(context.Background(), clerk, dossier.CreateInput{Procedure: birthReg,
		Citizen: dossier.Citizen{ID: owner.Subject, Name: "Nguyễn Văn An", Phone: "0912345678"}, PostOffice: clerk.PostOffice})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// drain runs every queued ingest job, delivering each twice to prove idempotency.
func (e *env) drain(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for {
		ms, err := e.q.Receive(ctx, dossier.TopicIngest, 10, time.Minute, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 {
			return
		}
		for _, m := range ms {
			for i := 0; i < 2; i++ {
				if err := e.svc.RunIngest(ctx, m); err != nil {
					t.Fatalf("ingest: %v", err)
				}
			}
			if err := e.q.Ack(ctx, dossier.TopicIngest, m.Receipt); err != nil {
				t.Fatal(err)
			}
		}
	}
}

var scans sync.Map // spec name → bytes: generating a scan costs a second

func scanOf(t *testing.T, name string, sheets ...scantest.Sheet) []byte {
	t.Helper()
	if b, ok := scans.Load(name); ok {
		return b.([]byte)
	}
	b, err := scantest.Dossier(scantest.Spec{Sheets: sheets, Seed: uint64(len(name))})
	if err != nil {
		t.Fatal(err)
	}
	scans.Store(name, b)
	return b
}

func complete(t *testing.T) []byte {
	return scanOf(t, "complete",
		scantest.Separator("TKKS", "Tờ khai đăng ký khai sinh"), scantest.Text("Tờ khai trang 1"), scantest.Text("Tờ khai trang 2"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
		scantest.Separator("CCCD", "Căn cước công dân"), scantest.Text("CCCD mặt trước"), scantest.Text("CCCD mặt sau"), scantest.Text("Ghi chú"))
}

// heavy skips a test that decodes many scanned pages when the race detector is on.
func heavy(t *testing.T) {
	t.Helper()
	if race.Enabled {
		t.Skip("decodes scanned pages: slow under -race; make test runs it without -race")
	}
}

func TestIngest(t *testing.T) {
	heavy(t)
	tests := []struct {
		name     string
		scan     func(t *testing.T) []byte
		status   dossier.Status
		pages    map[string]int
		findings []string // codes, with component: "code/component"
	}{
		{"complete", complete, dossier.Validated, map[string]int{"TKKS": 2, "GCS": 1, "CCCD": 3}, nil},
		{"last component left out", func(t *testing.T) []byte {
			return scanOf(t, "missing",
				scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai"),
				scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"))
		}, dossier.NeedsSupplement, map[string]int{"TKKS": 1, "GCS": 1}, []string{"component.reuse-pending/CCCD"}},
		{"blank sheet as a component", func(t *testing.T) []byte {
			return scanOf(t, "blank",
				scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai"),
				scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Blank(),
				scantest.Separator("CCCD", "CCCD"), scantest.Text("CCCD"))
		}, dossier.Received, map[string]int{"TKKS": 1, "CCCD": 1}, []string{"component.blank/GCS"}},
		{"unknown separator", func(t *testing.T) []byte {
			return scanOf(t, "unknown",
				scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai"),
				scantest.Separator("GPLX", "Giấy phép lái xe"), scantest.Text("GPLX"),
				scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
				scantest.Separator("CCCD", "CCCD"), scantest.Text("CCCD"))
		}, dossier.Received, map[string]int{"TKKS": 1, "GCS": 1, "CCCD": 1}, []string{"separator.unknown/GPLX"}},
		{"not a scan at all", func(t *testing.T) []byte { return []byte("<html><body>hello</body></html>") },
			dossier.Received, map[string]int{}, []string{"scan.unsupported/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			d := e.create(t)
			if _, err := e.svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(tt.scan(t))); err != nil {
				t.Fatal(err)
			}
			e.drain(t)
			got, err := e.svc.Get(ctx, clerk, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.status {
				t.Fatalf("status = %s, want %s; findings %+v", got.Status, tt.status, got.Findings)
			}
			pages := map[string]int{}
			for _, c := range got.Components {
				pages[c.Code] = c.Pages
			}
			if !equalMaps(pages, tt.pages) {
				t.Errorf("pages = %v, want %v", pages, tt.pages)
			}
			var codes []string
			for _, f := range got.Findings {
				if f.Severity == dossier.SeverityError {
					codes = append(codes, f.Code+"/"+f.Component)
					if f.Message == "" {
						t.Errorf("finding %s has no message", f.Code)
					}
				}
			}
			if strings.Join(codes, ",") != strings.Join(tt.findings, ",") {
				t.Errorf("error findings = %v, want %v", codes, tt.findings)
			}
			// The clerk's scan to redo is an attempt: the history is as before
			// the upload and nothing counts; anything else follows SCANNED.
			if tt.status == dossier.Received {
				if len(got.History) != 1 || len(got.Attempts) != 1 || got.SupplementRequests != 0 || !got.DueAt.Equal(d.DueAt) {
					t.Errorf("an attempt changed the dossier: history %+v, attempts %d, requests %d, due %v → %v", got.History, len(got.Attempts), got.SupplementRequests, d.DueAt, got.DueAt)
				}
			} else if n := len(got.History); got.History[n-1].Status != tt.status || got.History[n-2].Status != dossier.Scanned {
				t.Errorf("history = %+v", got.History)
			}
		})
	}
}

func TestSupplementThenValidate(t *testing.T) {
	heavy(t)
	e := newEnv(t)
	ctx := context.Background()
	d := e.create(t)
	missing := scanOf(t, "missing",
		scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"))
	if _, err := e.svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(missing)); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	if _, err := e.svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(complete(t))); err != nil {
		t.Fatalf("re-upload after NEEDS_SUPPLEMENT: %v", err)
	}
	// The same bytes again while ingesting: accepted, nothing changes.
	if _, err := e.svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(complete(t))); err != nil {
		t.Fatalf("duplicate upload: %v", err)
	}
	e.drain(t)
	got, _ := e.svc.Get(ctx, clerk, d.ID)
	if got.Status != dossier.Validated || len(got.Scans) != 2 || got.SupplementRequests != 1 {
		t.Fatalf("status %s, scans %d, supplements %d; findings %+v", got.Status, len(got.Scans), got.SupplementRequests, got.Findings)
	}
	// Past ingestion, a new scan is a conflict.
	_, err := e.svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(missing))
	if !errs.Is(err, errs.Conflict) {
		t.Fatalf("upload to VALIDATED: %v, want Conflict", err)
	}
	// The original scans stay retrievable.
	if _, b, err := e.svc.ScanContent(ctx, clerk, d.ID, 1); err != nil || !bytes.Equal(b, missing) {
		t.Fatalf("first scan not kept: %v", err)
	}
}

func TestAccess(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	d := e.create(t)
	otherCitizen := identity.Actor{Subject: "079090000001", Role: identity.Citizen}
	otherClerk := identity.Actor{Subject: "clerk-99", Role: identity.Clerk, PostOffice: "Bưu cục khác"}
	for _, tt := range []struct {
		who  identity.Actor
		kind errs.Kind // 0 = allowed
	}{
		{clerk, 0}, {officer, 0}, {owner, 0}, {identity.Actor{Subject: "aud", Role: identity.Auditor}, 0},
		{stranger, errs.NotFound}, {otherCitizen, errs.NotFound}, {otherClerk, errs.NotFound},
	} {
		_, err := e.svc.Get(ctx, tt.who, d.ID)
		if (tt.kind == 0) != (err == nil) || (err != nil && !errs.Is(err, tt.kind)) {
			t.Errorf("Get as %s: %v, want kind %v", tt.who.Label(), err, tt.kind)
		}
	}
	if _, err := e.svc.Decide(ctx, stranger, d.ID, true, ""); !errs.Is(err, errs.NotFound) {
		t.Errorf("decision by another agency: %v", err)
	}
	if _, err := e.svc.Decide(ctx, officer, d.ID, true, ""); !errs.Is(err, errs.Conflict) {
		t.Errorf("decision on RECEIVED: %v, want Conflict", err)
	}
	if _, err := e.svc.Create(ctx, clerk, dossier.CreateInput{Procedure: "9.999999", Citizen: dossier.Citizen{ID: owner.Subject, Name: "A"}, PostOffice: "X"}); !errs.Is(err, errs.Invalid) {
		t.Errorf("unknown procedure: %v", err)
	}
	if _, err := e.svc.Create(ctx, clerk, dossier.CreateInput{Procedure: birthReg, Citizen: dossier.Citizen{ID: "12345", Name: "A"}, PostOffice: "X"}); !errs.Is(err, errs.Invalid) {
		t.Errorf("bad citizen ID: %v", err)
	}
}

func TestTrackHasNoPersonalData(t *testing.T) {
	e := newEnv(t)
	d := e.create(t)
	tr, err := e.svc.Track(context.Background(), d.Code)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(tr)
	for _, pd := range []string{d.Citizen.ID, d.Citizen.Name, d.Citizen.Phone} {
		if bytes.Contains(b, []byte(pd)) {
			t.Fatalf("tracking answer %s leaks %q", b, pd)
		}
	}
	if tr.Status != dossier.Received || tr.Code != d.Code {
		t.Fatalf("tracking = %+v", tr)
	}
}

func TestCodesAreSequentialUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := e.create(t)
			mu.Lock()
			seen[d.Code] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	for i := 1; i <= 8; i++ {
		code := dossier.FormatCode("000.21.29.H29", e.now, i)
		if !seen[code] {
			t.Errorf("missing code %s; got %v", code, seen)
		}
	}
}

func equalMaps(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestAcceptStoredScan: the S3 path. A scan put straight into the bucket under
// an intake key is ingested by its event; a second delivery changes nothing.
func TestAcceptStoredScan(t *testing.T) {
	heavy(t)
	e := newEnv(t)
	ctx := context.Background()
	d := e.create(t)
	key := dossier.NewIntakeKey(d.ID)
	if err := e.blobs.WriteAll(ctx, key, complete(t), nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := e.svc.AcceptStoredScan(ctx, key, false); err != nil {
			t.Fatalf("delivery %d: %v", i+1, err)
		}
	}
	got, _ := e.svc.Get(ctx, clerk, d.ID)
	if got.Status != dossier.Validated || len(got.Scans) != 1 || len(got.History) != 3 {
		t.Fatalf("status %s, scans %d, history %+v", got.Status, len(got.Scans), got.History)
	}
	// A third delivery writes nothing at all: the stored record is untouched.
	before, _ := e.cfg.Records.Get(ctx, "DOSSIER#"+d.ID, "META")
	if err := e.svc.AcceptStoredScan(ctx, key, false); err != nil {
		t.Fatal(err)
	}
	after, _ := e.cfg.Records.Get(ctx, "DOSSIER#"+d.ID, "META")
	if before.Version != after.Version {
		t.Fatalf("a redelivered event rewrote the dossier (version %d → %d)", before.Version, after.Version)
	}
	// Keys outside the layout and unknown dossiers are ignored, not errors.
	for _, k := range []string{"elsewhere/x", dossier.NewIntakeKey("nosuchdossier")} {
		if err := e.svc.AcceptStoredScan(ctx, k, false); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
}

// TestAcceptStoredScanTooLarge: a scan over the limit is kept and answered
// with its finding, even when it was recorded before its event came (a
// recorded scan is otherwise ingested without being read again): here an
// upload recorded under a larger limit, as after a crash between recording
// and answering, or a limit lowered meanwhile.
func TestAcceptStoredScanTooLarge(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	d := e.create(t)
	up, err := e.svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("x"), 2000)...)))
	if err != nil {
		t.Fatal(err)
	}
	key := up.Scans[0].Key
	small := e.cfg
	small.MaxScanBytes = 1000
	svc, err := dossier.NewService(small)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := svc.AcceptStoredScan(ctx, key, false); err != nil {
			t.Fatalf("delivery %d: %v", i+1, err)
		}
		got, _ := svc.Get(ctx, clerk, d.ID)
		if got.Status != dossier.Received || len(got.Findings) != 1 || got.Findings[0].Code != "scan.too-large" || len(got.Attempts) != 1 || got.SupplementRequests != 0 {
			t.Fatalf("delivery %d: %s with %+v", i+1, got.Status, got.Findings)
		}
	}
	if ok, err := e.blobs.Exists(ctx, key); err != nil || !ok {
		t.Fatalf("the original is not kept: %v, %v", ok, err)
	}
}

// TestSupplementPausesTheClock: the working time spent waiting for a
// supplement is added to the due date.
func TestSupplementPausesTheClock(t *testing.T) {
	heavy(t)
	e := newEnv(t)
	ctx := context.Background()
	// Received Monday 23 Nov 2026 09:00 ICT; birth registration takes 1 working
	// day: due Tuesday 24 Nov 09:00 ICT (02:00 UTC).
	d := e.create(t)
	if want := time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC); !d.DueAt.Equal(want) {
		t.Fatalf("due = %s, want %s", d.DueAt, want)
	}
	missing := scanOf(t, "missing",
		scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"))
	if _, err := e.svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(missing)); err != nil {
		t.Fatal(err)
	}
	e.drain(t) // NEEDS_SUPPLEMENT at 09:00 Monday (the test clock does not move)
	// The citizen comes back Wednesday 25 Nov at 09:00 ICT: the clock had run 0 h
	// before the pause, so a full working day remains: due Thursday 26 Nov 09:00 ICT.
	e.now = time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	got, err := e.svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(complete(t)))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC); !got.DueAt.Equal(want) {
		t.Fatalf("due after the pause = %s, want %s", got.DueAt, want)
	}
}

// flakySigner is the ResultSigner port failing as a provider does when it is
// down, then working: the dossier's fault handling is under test, not signing.
type flakySigner struct{ down bool }

func (f *flakySigner) SignResults(_ context.Context, _ identity.Actor, _, otp string, docs []dossier.SignDocument) ([]dossier.SignOutcome, error) {
	if f.down {
		return nil, errs.E(errs.Unavailable, "the signing provider is not answering; try again later")
	}
	if otp != "123456" {
		return nil, errs.E(errs.Forbidden, "wrong OTP")
	}
	out := make([]dossier.SignOutcome, len(docs))
	for i, d := range docs {
		out[i].PDF = append(append([]byte(nil), d.PDF...), "% signed\n"...)
	}
	return out, nil
}

// TestSigningFaultsChangeNothing: a provider that is down or a wrong OTP
// leaves the result unsigned, the dossier APPROVED and the vault untouched;
// signing later works.
func TestSigningFaultsChangeNothing(t *testing.T) {
	heavy(t)
	e := newEnv(t)
	ctx := context.Background()
	signer := &flakySigner{down: true}
	svc := e.withSigner(t, signer)
	d := e.create(t)
	if _, err := svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(complete(t))); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	if _, err := svc.Decide(ctx, officer, d.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	result := []byte("%PDF-1.7\nresult\n%%EOF\n")
	if _, err := svc.PutResult(ctx, officer, d.ID, bytes.NewReader(result)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		down bool
		otp  string
		kind errs.Kind
	}{
		{"provider down", true, "123456", errs.Unavailable},
		{"wrong OTP", false, "000000", errs.Forbidden},
	} {
		signer.down = tt.down
		if _, err := svc.SignResult(ctx, officer, d.ID, "cred", tt.otp); !errs.Is(err, tt.kind) {
			t.Fatalf("%s: %v, want %v", tt.name, err, tt.kind)
		}
		got, _ := svc.Get(ctx, officer, d.ID)
		docs, _ := e.v.List(ctx, owner, vault.Filter{Kind: "GKS"})
		if got.Status != dossier.Approved || got.Result.DocumentID != "" || len(docs) != 0 {
			t.Fatalf("%s changed something: %s %+v, vault %d", tt.name, got.Status, got.Result, len(docs))
		}
	}
	signer.down = false
	doc, err := svc.SignResult(ctx, officer, d.ID, "cred", "123456")
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	got, _ := svc.Get(ctx, owner, d.ID)
	if got.Status != dossier.ResultIssued || got.Result.DocumentID != doc {
		t.Fatalf("after retry: %s %+v", got.Status, got.Result)
	}
}

// TestUploadLimits: an empty or oversized upload is refused and leaves
// nothing in storage; the dossier does not move.
func TestUploadLimits(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.cfg
	c.MaxScanBytes = 1000
	svc, err := dossier.NewService(c)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	d := e.create(t)
	for _, tt := range []struct {
		name string
		body []byte
		kind errs.Kind
	}{
		{"empty", nil, errs.Invalid},
		{"one byte over", bytes.Repeat([]byte("x"), 1001), errs.TooLarge},
	} {
		if _, err := svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(tt.body)); !errs.Is(err, tt.kind) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.kind)
		}
	}
	if got, _ := svc.Get(ctx, clerk, d.ID); got.Status != dossier.Received || len(got.Scans) != 0 {
		t.Fatalf("dossier moved: %s, %d scans", got.Status, len(got.Scans))
	}
	it := e.blobs.List(&blob.ListOptions{Prefix: dossier.IntakePrefix})
	if obj, err := it.Next(ctx); err == nil {
		t.Fatalf("a refused upload left %s in storage", obj.Key)
	}
	// Exactly at the limit is accepted.
	if _, err := svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(bytes.Repeat([]byte("x"), 1000))); err != nil {
		t.Fatalf("upload at the limit: %v", err)
	}
}
