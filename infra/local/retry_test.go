package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
	"github.com/sohoa/sohoa/pkg/local/sqlite"
	"github.com/sohoa/sohoa/pkg/port/queue"
)

// flakyReader fails every read while broken is set, and notes when each
// read was asked for; otherwise it hands out the presplit scan.
type flakyReader struct {
	ok     dossier.ScanReader
	broken atomic.Bool
	failN  atomic.Int32 // reads left to fail even when not broken

	mu    sync.Mutex
	calls []time.Time
}

func (f *flakyReader) read(ctx context.Context, src io.Reader, size int64, dir string) (*scan.Result, error) {
	f.mu.Lock()
	f.calls = append(f.calls, time.Now())
	f.mu.Unlock()
	if f.broken.Load() || f.failN.Add(-1) >= 0 {
		return nil, errors.New("the scan store did not answer (a transient fault)")
	}
	return f.ok(ctx, src, size, dir)
}

func (f *flakyReader) times() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.calls...)
}

// createAndUpload makes a birth registration dossier and uploads sample.
func createAndUpload(t *testing.T, clerk client, citizen string, sample []byte) string {
	t.Helper()
	var created struct{ ID string }
	clerk.json("POST", "/v1/dossiers", map[string]any{"procedure": birthReg,
		"citizen": map[string]string{"id": citizen, "name": "Nguyễn Văn An"}}, 201, &created)
	if st, b, _ := clerk.do("PUT", "/v1/dossiers/"+created.ID+"/scan", "application/pdf", sample); st != 202 {
		t.Fatalf("upload: %d %s", st, b)
	}
	return created.ID
}

// TestTransientIngestFailureRetried: an ingestion that fails once is
// delivered again after the first step of the backoff (well within 15 s,
// not the queue's visibility timeout) and the dossier is validated.
func TestTransientIngestFailureRetried(t *testing.T) {
	heavy(t)
	f := &flakyReader{ok: presplit(t)}
	f.failN.Store(1)
	st := inProcess(t, Options{Dev: true, Scans: f.read})
	c := client{t: t, base: st.URL, operator: st.DevOperatorKey}
	clerk := c.as(c.tokenFor("postal_clerk", "clerk-01", "", "Trần Thị Mai"))
	id := createAndUpload(t, clerk, "001203000001", scanPDF(t, scantest.Text("any")))
	if d := clerk.waitStatus(id); d.Status != "VALIDATED" {
		t.Fatalf("after a transient failure: %s %+v", d.Status, d.Findings)
	}
	calls := f.times()
	if len(calls) != 2 {
		t.Fatalf("%d reads, want the failed one and its retry", len(calls))
	}
	if gap := calls[1].Sub(calls[0]); gap > 15*time.Second || gap < queue.Backoff(1) {
		t.Errorf("retried after %v, want the backoff's %v (at most 15 s)", gap, queue.Backoff(1))
	}
}

// TestOperatorRerunsDeadLetteredDossier: a dossier whose ingestion ran out
// of deliveries gets the unfinished finding, and the operators' command
// (infra/ops, run as make ops runs it, against the stack's data folder while
// the stack runs) lists and redrives the dead letter and re-runs the
// dossier to VALIDATED.
func TestOperatorRerunsDeadLetteredDossier(t *testing.T) {
	heavy(t)
	ctx := context.Background()
	dir := t.TempDir()
	ops := filepath.Join(t.TempDir(), "ops")
	if out, err := exec.Command("go", "build", "-o", ops, "../ops").CombinedOutput(); err != nil {
		t.Fatalf("go build ops: %v\n%s", err, out)
	}
	f := &flakyReader{ok: presplit(t)}
	f.broken.Store(true)
	quiet := slog.New(slog.DiscardHandler)
	st, err := Start(ctx, Options{Addr: "127.0.0.1:0", DataDir: dir, Dev: true, Scans: f.read, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	c := client{t: t, base: st.URL, operator: st.DevOperatorKey}
	clerk := c.as(c.tokenFor("postal_clerk", "clerk-01", "", "Trần Thị Mai"))
	id := createAndUpload(t, clerk, "001203000002", scanPDF(t, scantest.Text("any")))
	for deadline := time.Now().Add(60 * time.Second); len(f.times()) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the ingestion never started")
		}
	}
	if err := st.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	// Spend the job's remaining deliveries by hand, as failing workers
	// would: the last one dead-letters it.
	db, err := sqlite.Open(ctx, filepath.Join(dir, "sohoa.db"))
	if err != nil {
		t.Fatal(err)
	}
	var last queue.Message
	for {
		ms, err := db.Queue().Receive(ctx, dossier.TopicIngest, 1, time.Minute, 20*time.Second)
		if err != nil || len(ms) != 1 {
			t.Fatalf("receive: %v %v", ms, err)
		}
		last = ms[0]
		if err := db.Queue().Release(ctx, dossier.TopicIngest, last.Receipt, 0); err != nil {
			t.Fatal(err)
		}
		if queue.LastAttempt(last.Attempts) {
			break
		}
	}
	db.Close()

	st, err = Start(ctx, Options{Addr: "127.0.0.1:0", DataDir: dir, Dev: true, Scans: f.read, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Shutdown(context.Background())
	c = client{t: t, base: st.URL, operator: st.DevOperatorKey}
	clerk = c.as(c.tokenFor("postal_clerk", "clerk-01", "", "Trần Thị Mai"))
	// What the worker does when the last delivery fails (queue.Worker.Exhausted).
	st.Dossiers.GiveUp(ctx, dossier.TopicIngest, last, errors.New("the scan store did not answer"))
	d := clerk.waitStatus(id)
	// The fault is ours: the scan is an attempt at the counter (no clock
	// stops, nobody is asked for anything), with a finding that says so.
	if d.Status != "RECEIVED" || len(d.Attempts) != 1 || len(d.Findings) != 1 || d.Findings[0].Code != dossier.CodeUnfinished {
		t.Fatalf("dead-lettered dossier: %s %+v", d.Status, d.Findings)
	}
	if m := d.Findings[0].Message; !strings.Contains(m, "vận hành") || !strings.Contains(m, "lỗi kỹ thuật") {
		t.Errorf("the finding does not say who was told: %q", m)
	}

	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(ops, append([]string{"-data", dir}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("ops %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if out := run("dead-letters", "ingest"); !strings.Contains(out, "1 dead-lettered job(s) of ingest") {
		t.Fatalf("dead-letters: %s", out)
	}
	if out, err := exec.Command(ops, "-data", dir, "rerun-ingest", "no-such-dossier").CombinedOutput(); err == nil {
		t.Fatalf("rerun of an unknown dossier succeeded: %s", out)
	}
	f.broken.Store(false) // the cause is fixed
	if out := run("rerun-ingest", id); !strings.Contains(out, "ingestion queued again") {
		t.Fatalf("rerun-ingest: %s", out)
	}
	waitFor(t, clerk, id, "VALIDATED")
	// The dead letter, redriven, finds the scan ingested: nothing changes.
	if out := run("redrive", "ingest"); !strings.Contains(out, "redrove 1 job(s)") {
		t.Fatalf("redrive: %s", out)
	}
	if out := run("dead-letters", "ingest"); !strings.Contains(out, "0 dead-lettered") {
		t.Fatalf("dead-letters after redrive: %s", out)
	}
	if out := run("rerun-notify", id); !strings.Contains(out, "notifications of VALIDATED queued again") {
		t.Fatalf("rerun-notify: %s", out)
	}
	// A validated dossier has nothing to re-run.
	if out, err := exec.Command(ops, "-data", dir, "rerun-ingest", id).CombinedOutput(); err == nil {
		t.Fatalf("rerun of a validated dossier succeeded: %s", out)
	}
	waitFor(t, clerk, id, "VALIDATED")
}

// waitFor polls the dossier until it is in status want (90 s at most).
func waitFor(t *testing.T, c client, id, want string) dossierJSON {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		var d dossierJSON
		c.json("GET", "/v1/dossiers/"+id, nil, 200, &d)
		if d.Status == want {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("dossier %s is %s after 90 s, want %s (%+v)", id, d.Status, want, d.Findings)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestTenKillsInTenSeconds uploads ten dossiers to the real binary and
// kills it (SIGKILL) ten times while they are ingested, restarting it each
// time, one upload a life. Deliveries the kills cut short are not charged to the jobs: every
// dossier ends VALIDATED or with a finding, none stays SCANNED.
func TestTenKillsInTenSeconds(t *testing.T) {
	heavy(t)
	bin, data, addr := binary(t), t.TempDir(), freeAddr(t)
	const noOCR = "-ocr=false"
	sample := scanPDF(t, scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
		scantest.Separator("CCCD", "Căn cước"), scantest.Text("CCCD"))
	c := client{t: t, base: "http://" + addr, data: data}
	var (
		cmd  *exec.Cmd
		ids  []string
		cut  int
		logs *lockedBuffer
	)
	kill := func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
	}
	// Each life of the stack takes one upload and is killed a moment
	// later: the jobs a kill cut short are the first the next life takes,
	// so the same ones are cut again and again.
	for i := range 10 {
		cmd, logs = launchLogged(t, bin, addr, data, noOCR)
		if strings.Contains(logs.String(), "resuming jobs left in flight") {
			cut++
		}
		clerk := c.as(c.tokenFor("postal_clerk", "clerk-01", "", "Trần Thị Mai"))
		ids = append(ids, createAndUpload(t, clerk, fmt.Sprintf("001203%06d", 500+i), sample))
		time.Sleep(time.Duration(150+i*20) * time.Millisecond)
		kill()
	}
	cmd = launch(t, bin, addr, data, noOCR)
	clerk := c.as(c.tokenFor("postal_clerk", "clerk-01", "", "Trần Thị Mai"))
	// The kills must have cut deliveries short, or the test proves nothing.
	if cut < 5 {
		t.Fatalf("only %d of the 10 kills cut a delivery short", cut)
	}
	t.Logf("%d of the 10 kills cut deliveries short", cut)
	defer kill()
	for _, id := range ids {
		d := clerk.waitStatus(id)
		if d.Status != "VALIDATED" && len(d.Findings) == 0 {
			t.Errorf("dossier %s: %s without a finding", id, d.Status)
		}
		if d.Status != "VALIDATED" {
			t.Logf("dossier %s: %s %+v", id, d.Status, d.Findings)
		}
	}
}
