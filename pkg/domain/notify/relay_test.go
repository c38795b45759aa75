package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/local/sqlite"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// createDossiers opens n dossiers with the real dossier service, one minute
// or more apart from base, so that the store writes its real RECEIVED events. base
// must be recent: the store gives events a 30-day TTL on the wall clock.
func createDossiers(t *testing.T, db *sqlite.DB, base time.Time, n int) []*dossier.Dossier {
	t.Helper()
	var mu sync.Mutex
	clock := base
	svc, err := dossier.NewService(dossier.Config{
		Records: db.Table(), Blobs: memblob.OpenBucket(nil), Queue: db.Queue(), Catalog: procedure.Default(),
		Calendar: calendar.Default(), Scans: dossier.ScanBytes(func(context.Context, []byte) (*scan.Result, error) { return nil, errors.New("unused") }),
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); clock = clock.Add(time.Minute); return clock },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	clerk := identity.Actor{Subject: "clerk-1", Role: identity.Clerk, Name: "Trần Thị Bình", PostOffice: "Bưu cục Phú Nhuận"}
	var out []*dossier.Dossier
	for i := range n {
		d, err := svc.Create(context.Background(), clerk, dossier.CreateInput{Procedure: "2.000488",
			Citizen: dossier.Citizen{ID: fmt.Sprintf("0010900123%02d", i), Name: "Nguyễn Văn An"}})
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		out = append(out, d)
	}
	return out
}

type collector struct {
	mu   sync.Mutex
	evs  []dossier.StatusChanged
	fail map[string]bool // dossier IDs whose events fail
}

func (c *collector) handle(_ context.Context, ev dossier.StatusChanged) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail[ev.DossierID] {
		return errors.New("handler down")
	}
	c.evs = append(c.evs, ev)
	return nil
}

func (c *collector) ids() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, ev := range c.evs {
		out = append(out, ev.DossierID)
	}
	return out
}

func TestRelay(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	base := time.Now().UTC().Truncate(time.Second)
	ds := createDossiers(t, db, base, 5)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	// With "now" a second after the last dossier's event and a 2s settle
	// time, that event is too fresh to hand over.
	now := ds[4].ReceivedAt.Add(time.Second)
	opts := &RelayOptions{Batch: 2, Now: func() time.Time { return now }, Log: quiet}
	c := &collector{fail: map[string]bool{ds[2].ID: true}}
	r, err := NewRelay(db.Table(), "notify", c.handle, opts)
	if err != nil {
		t.Fatal(err)
	}
	n, err := r.Pass(ctx)
	if err == nil || n != 2 {
		t.Fatalf("Pass with a failing third event = %d, %v; want 2 and an error", n, err)
	}
	c.fail = nil
	if n, err := r.Pass(ctx); err != nil || n != 2 {
		t.Fatalf("Pass after recovery = %d, %v; want the 3rd and 4th", n, err)
	}
	now = now.Add(2 * time.Second)
	// A new relay of the same name (a restart) resumes from the cursor.
	r2, _ := NewRelay(db.Table(), "notify", c.handle, opts)
	if n, err := r2.Pass(ctx); err != nil || n != 1 {
		t.Fatalf("Pass after restart = %d, %v; want the settled 5th", n, err)
	}
	want := []string{ds[0].ID, ds[1].ID, ds[2].ID, ds[3].ID, ds[4].ID}
	if got := c.ids(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("handed over %v, want %v (in order, each once)", got, want)
	}
	for i, ev := range c.evs {
		if ev.Status != dossier.Received || ev.Seq != 0 || ev.Code != ds[i].Code {
			t.Errorf("event %d = %+v", i, ev)
		}
	}
	// Another relay name has its own cursor.
	other := &collector{}
	r3, _ := NewRelay(db.Table(), "report", other.handle, opts)
	if n, err := r3.Pass(ctx); err != nil || n != 5 {
		t.Fatalf("second consumer Pass = %d, %v", n, err)
	}
}

func TestRelayRunStops(t *testing.T) {
	db := openDB(t)
	base := time.Now().UTC()
	ds := createDossiers(t, db, base, 2)
	c := &collector{}
	r, _ := NewRelay(db.Table(), "notify", c.handle, &RelayOptions{Poll: time.Millisecond, Now: func() time.Time { return base.Add(time.Hour) }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	deadline := time.After(10 * time.Second)
	for len(c.ids()) < len(ds) {
		select {
		case <-deadline:
			t.Fatalf("relay handed over %d of %d events", len(c.ids()), len(ds))
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop on cancel")
	}
}

func TestRelaySkipsUndecodable(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	for i, data := range []string{`{"dossierId":"a","status":"RECEIVED"}`, `not json`, `{"dossierId":"b","status":"RECEIVED"}`} {
		it := records.Item{PK: dossier.EventsPK, SK: t0.Add(time.Duration(i)*time.Second).Format(timeKey) + "#x#0", Data: []byte(data)}
		if _, err := db.Table().Put(ctx, it); err != nil {
			t.Fatal(err)
		}
	}
	c := &collector{}
	r, _ := NewRelay(db.Table(), "n", c.handle, &RelayOptions{Now: func() time.Time { return t0.Add(time.Hour) }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if n, err := r.Pass(ctx); err != nil || n != 3 || fmt.Sprint(c.ids()) != "[a b]" {
		t.Fatalf("Pass = %d, %v, %v", n, err, c.ids())
	}
}
