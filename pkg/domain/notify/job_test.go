package notify

import (
	"context"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/errs"
)

func TestEnqueueAndWork(t *testing.T) {
	r := newRig(t, fakeDossiers{"d1": sampleDossier()}, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := Enqueue(r.db.Queue())
	ev := dossier.StatusChanged{DossierID: "d1", Status: dossier.NeedsSupplement, Seq: 2}
	for range 2 { // the second is deduplicated by the queue
		if err := h(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- r.n.Work(ctx, r.db.Queue()) }()
	deadline := time.After(10 * time.Second)
	for len(r.sent(t)) < 5 {
		select {
		case <-deadline:
			t.Fatalf("worker sent %d of 5 messages", len(r.sent(t)))
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Work = %v", err)
	}
	if got := len(r.sent(t)); got != 5 {
		t.Fatalf("%d messages, want 5", got)
	}
}

func TestProcess(t *testing.T) {
	r := newRig(t, fakeDossiers{"d1": sampleDossier()}, -1)
	ctx := context.Background()
	for _, bad := range []string{`nope`, `{}`, `{"event":{"dossierId":"d1"},"channels":["fax"]}`} {
		if _, err := r.n.Process(ctx, []byte(bad)); !errs.Is(err, errs.Invalid) {
			t.Errorf("Process(%s) = %v, want invalid", bad, err)
		}
	}
	failed, err := r.n.Process(ctx, []byte(`{"event":{"dossierId":"d1","status":"RECEIVED","seq":0},"channels":["sms","inapp"]}`))
	if err != nil || len(failed) != 1 || failed[0] != SMS {
		t.Fatalf("Process = %v, %v", failed, err)
	}
	if a := addresses(r.sent(t)); len(a) != 1 || a[0] != "inapp:"+citizenID {
		t.Fatalf("a job for sms and inapp sent %v", a)
	}
}
