package dossier_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/domain/report"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

// TestJudge pins who owes what at the counter.
//
// Decree 61/2018/NĐ-CP art. 19 (as amended by Decree 107/2021/NĐ-CP): the
// one who receives checks the dossier and converts the paper to electronic
// documents under their own responsibility; an unusable scan is theirs to
// redo, never a request to the citizen. A supplement request is a request
// to the citizen for what the dossier lacks; Decision 766/QĐ-TTg counts it
// (index 2.1). Warnings are notes for the officer and hold nothing back.
func TestJudge(t *testing.T) {
	unreadable := dossier.NewFinding(scan.CodeNoPages)
	notAScan := dossier.NewFinding(scan.CodeUnsupported)
	lowDPI := dossier.NewFinding(dossier.FindingLowResolution, 2, 96.0, 200)
	missing := dossier.NewFinding(dossier.FindingMissing, "Giấy chứng sinh", "GCS")
	consent := dossier.NewFinding(dossier.FindingReusePending, "Căn cước", "CCCD")
	expired := dossier.NewFinding(dossier.FindingCardExpired, "17/05/2025")
	mrz := dossier.NewFinding(dossier.FindingMRZUnreadable)
	grey := dossier.NewFinding(dossier.FindingNotColour, "2", dossier.Bi{VI: "thang xám", EN: "greyscale"})
	resolvedMissing := missing
	resolvedMissing.ResolvedAt = time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		fs   []dossier.Finding
		want dossier.Outcome
	}{
		{"nothing to say", nil, dossier.Accepted},
		{"a 0-page PDF is the clerk's", []dossier.Finding{unreadable}, dossier.CounterAttempt},
		{"a text file named .pdf is the clerk's", []dossier.Finding{notAScan}, dossier.CounterAttempt},
		{"a phone photo at 96 dpi is the clerk's", []dossier.Finding{lowDPI}, dossier.CounterAttempt},
		{"a missing paper is the citizen's", []dossier.Finding{missing}, dossier.SupplementRequest},
		{"consent to reuse is the citizen's", []dossier.Finding{consent}, dossier.SupplementRequest},
		{"an expired ID card is the citizen's", []dossier.Finding{expired}, dossier.SupplementRequest},
		{"the clerk fixes the scan before anyone asks the citizen", []dossier.Finding{missing, lowDPI}, dossier.CounterAttempt},
		{"warnings are the officer's notes", []dossier.Finding{mrz, grey}, dossier.Accepted},
		{"a procedure that wants colour makes grey the clerk's", []dossier.Finding{grey.WithSeverity(dossier.SeverityError)}, dossier.CounterAttempt},
		{"what no longer applies asks nothing", []dossier.Finding{resolvedMissing}, dossier.Accepted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := dossier.Judge(tc.fs); got != tc.want {
				t.Errorf("Judge = %d, want %d", got, tc.want)
			}
		})
	}
}

// noPages is a well-formed PDF without a page.
var noPages = []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")

// entries is the report's Source for the dossiers of a test.
type entries []report.Entry

func (s entries) Received(context.Context, time.Time, time.Time, string) ([]report.Entry, error) {
	return s, nil
}

// figures are the Decision 766/QĐ-TTg figures of one dossier, as the
// report computes them from the dossier the service stored.
func figures(t *testing.T, e *env, d *dossier.Dossier) report.AgencyStats {
	t.Helper()
	r, err := report.New(report.Config{Source: entries{{DossierID: d.ID, Agency: d.Agency, At: d.ReceivedAt}},
		Dossiers: e.svc, Calendar: calendar.Default(), ProcessingDays: procedure.Default().ProcessingDays,
		Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.SLA(context.Background(), d.ReceivedAt.Add(-time.Hour), e.now.Add(time.Hour), d.Agency)
	if err != nil || len(st) != 1 {
		t.Fatalf("report: %v, %d agencies", err, len(st))
	}
	return st[0]
}

// sign approves d and signs its result at the test's time.
func sign(t *testing.T, e *env, svc *dossier.Service, id string) {
	t.Helper()
	ctx := context.Background()
	if _, err := svc.Decide(ctx, officer, id, true, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.PutResult(ctx, officer, id, bytes.NewReader([]byte("%PDF-1.7\nresult\n%%EOF\n"))); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SignResult(ctx, officer, id, "cred", "123456"); err != nil {
		t.Fatal(err)
	}
}

// TestCounterAttemptsCountNowhere: a 0-page PDF, a text file named .pdf and
// a blank scan uploaded at the counter before a good one leave the dossier
// RECEIVED, its due time and history as they were, each recorded as an
// attempt with its reasons; signed on time, the dossier counts on time,
// without a supplement request (Decision 766/QĐ-TTg index 2.1).
func TestCounterAttemptsCountNowhere(t *testing.T) {
	heavy(t)
	e := newEnv(t)
	svc := e.withSigner(t, &flakySigner{})
	ctx := context.Background()
	d := e.create(t) // Monday 09:00; due Tuesday 09:00
	for i, bad := range [][]byte{noPages, []byte("Xin chào, đây là một tệp văn bản.\n"), []byte("%PDF-1.4\n%%EOF\n")} {
		e.now = e.now.Add(time.Minute)
		if _, err := svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(bad)); err != nil {
			t.Fatalf("upload %d: %v", i+1, err)
		}
		e.drain(t)
		got, _ := svc.Get(ctx, clerk, d.ID)
		if got.Status != dossier.Received || len(got.History) != 1 || !got.DueAt.Equal(d.DueAt) || got.SupplementRequests != 0 {
			t.Fatalf("upload %d changed the dossier: %s, history %+v, due %v, requests %d", i+1, got.Status, got.History, got.DueAt, got.SupplementRequests)
		}
		if len(got.Attempts) != i+1 || len(got.Attempts[i].Findings) == 0 || !got.Attempts[i].Findings[0].Task() {
			t.Fatalf("upload %d not recorded as an attempt with its reason: %+v", i+1, got.Attempts)
		}
	}
	e.now = e.now.Add(time.Minute)
	if _, err := svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(complete(t))); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	got, _ := svc.Get(ctx, clerk, d.ID)
	if got.Status != dossier.Validated {
		t.Fatalf("good scan: %s, %+v", got.Status, got.Findings)
	}
	for _, f := range got.Findings {
		if f.Task() {
			t.Errorf("an earlier attempt's finding is still a task: %+v", f)
		}
	}
	e.now = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC) // Monday 15:00, before Tuesday 09:00
	sign(t, e, svc, d.ID)
	got, _ = svc.Get(ctx, clerk, d.ID)
	want := []dossier.Status{dossier.Received, dossier.Scanned, dossier.Validated, dossier.Approved, dossier.ResultIssued}
	if len(got.History) != len(want) {
		t.Fatalf("history %+v, want %v", got.History, want)
	}
	for i, h := range got.History {
		if h.Status != want[i] {
			t.Fatalf("history %+v, want %v", got.History, want)
		}
	}
	st := figures(t, e, got)
	if st.Resolved != 1 || st.Late != 0 || st.Early+st.OnTime != 1 || st.OnTimeRate != 1 || st.SupplementRequests != 0 || st.Supplemented != 0 {
		t.Errorf("figures %+v, want one dossier on time without a supplement request", st)
	}
}

// TestSupplementRequestCountsOnce: a dossier missing a paper of the
// citizen's is a supplement request: the clock stops until the new scan, a
// bad upload meanwhile changes nothing, and the dossier, signed within the
// moved due time, counts on time with one request (Decision 766/QĐ-TTg
// index 2.1: a single request is the citizen's time, not the agency's).
func TestSupplementRequestCountsOnce(t *testing.T) {
	heavy(t)
	e := newEnv(t)
	svc := e.withSigner(t, &flakySigner{})
	ctx := context.Background()
	d := e.create(t) // Monday 09:00; due Tuesday 09:00
	missing := scanOf(t, "missing",
		scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"))
	if _, err := svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(missing)); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	asked, _ := svc.Get(ctx, clerk, d.ID)
	if asked.Status != dossier.NeedsSupplement || asked.SupplementRequests != 1 {
		t.Fatalf("missing paper: %s, %d requests", asked.Status, asked.SupplementRequests)
	}
	// Tuesday: the clerk uploads a file that is no scan while the citizen is away.
	e.now = time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)
	if _, err := svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(noPages)); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	got, _ := svc.Get(ctx, clerk, d.ID)
	if got.Status != dossier.NeedsSupplement || got.SupplementRequests != 1 || len(got.History) != len(asked.History) || !got.DueAt.Equal(asked.DueAt) {
		t.Fatalf("a bad upload during the request changed it: %s, %d requests, history %+v, due %v → %v", got.Status, got.SupplementRequests, got.History, asked.DueAt, got.DueAt)
	}
	// Wednesday 09:00 the citizen brings the paper: one working day remains,
	// due Thursday 09:00; signed Wednesday 15:00.
	e.now = time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	if _, err := svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(complete(t))); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	got, _ = svc.Get(ctx, clerk, d.ID)
	if got.Status != dossier.Validated || !got.DueAt.Equal(time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)) {
		t.Fatalf("after the supplement: %s, due %v", got.Status, got.DueAt)
	}
	resolved := 0
	for _, f := range got.Findings {
		if f.Code == dossier.FindingReusePending || f.Code == dossier.FindingMissing {
			if f.Open() {
				t.Errorf("the request's finding is still open: %+v", f)
			}
			resolved++
		}
	}
	if resolved == 0 {
		t.Error("the request's finding is not kept as resolved")
	}
	e.now = time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	sign(t, e, svc, d.ID)
	st := figures(t, e, d)
	if st.Resolved != 1 || st.Late != 0 || st.Early+st.OnTime != 1 || st.SupplementRequests != 1 || st.Supplemented != 1 {
		t.Errorf("figures %+v, want one dossier on time with one supplement request", st)
	}
}
