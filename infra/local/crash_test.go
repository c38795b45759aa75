package main

import (
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

// crashPoint is one place the real binary dies: SOHOA_CRASH_AT names a step
// (the process SIGKILLs itself there), or after kills it from outside that
// long after the request was answered.
type crashPoint struct {
	phase string // "ingest" or "sign"
	at    string
	after time.Duration
}

// TestCrashEverywhereLosesNothing kills the real binary at many points of an
// ingestion (reading, certifying, issuing each certified copy, saving) and of
// a signature (signed, issued to the vault, saved), restarts it each time,
// and checks that every dossier ends with each certified copy and its signed
// result in the citizen's vault exactly once, the copies' bytes those the
// dossier announces, and the access log verified.
func TestCrashEverywhereLosesNothing(t *testing.T) {
	heavy(t)
	var points []crashPoint
	for _, at := range []string{"ingest.start#1", "ingest.certified#1", "ingest.certified#3",
		"vault.issue.blob#1", "vault.issue.record#1", "ingest.issue#1",
		"vault.issue.blob#2", "vault.issue.record#2", "ingest.issue#2",
		"vault.issue.blob#3", "vault.issue.record#3", "ingest.issue#3",
		"ingest.issued#1", "ingest.saved#1"} {
		points = append(points, crashPoint{phase: "ingest", at: at})
	}
	for _, d := range []time.Duration{100 * time.Millisecond, 300 * time.Millisecond, 700 * time.Millisecond, 1500 * time.Millisecond} {
		points = append(points, crashPoint{phase: "ingest", after: d})
	}
	for _, at := range []string{"sign.signed#1", "vault.issue.blob#1", "vault.issue.record#1", "sign.issued#1", "sign.saved#1"} {
		points = append(points, crashPoint{phase: "sign", at: at})
	}
	points = append(points, crashPoint{phase: "sign", after: 200 * time.Millisecond})

	bin, data, addr := binary(t), t.TempDir(), freeAddr(t)
	// The crash points are the ingestion's and the signature's: no OCR jobs,
	// whose own vault issues would count towards the same points and whose
	// timing (a read that fails is left to a job) would make them move.
	const noOCR = "-ocr=false"
	scan := scanPDF(t, scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
		scantest.Separator("CCCD", "Căn cước"), scantest.Text("CCCD"))
	result := resultPDF(t)
	c := client{t: t, base: "http://" + addr, data: data}

	stop := func(cmd *exec.Cmd) {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_, _ = cmd.Process.Wait()
	}
	// died waits for a process told to kill itself; a point never reached
	// fails the test (it would prove nothing).
	died := func(cmd *exec.Cmd, p crashPoint) {
		t.Helper()
		if p.after > 0 {
			time.Sleep(p.after)
			stop(cmd)
			return
		}
		done := make(chan struct{})
		go func() { _, _ = cmd.Process.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(90 * time.Second):
			stop(cmd)
			t.Fatalf("%s: the process never reached its crash point", p.at)
		}
	}

	type made struct {
		id, citizen string
		signed      bool
	}
	var dossiers []made
	var signQueue []made // approved, with a result, waiting for a signing crash
	nSign := 0
	for _, p := range points {
		if p.phase == "sign" {
			nSign++
		}
	}
	cmd := launch(t, bin, addr, data, noOCR)
	clerk := c.as(c.tokenFor("postal_clerk", "clerk-01", "", "Trần Thị Mai"))
	officer := c.as(c.tokenFor("agency_officer", officerHT, agencyHT, officerNam))
	stop(cmd)

	for i, p := range points {
		name := p.at
		if name == "" {
			name = "kill after " + p.after.String()
		}
		env := []string{}
		if p.at != "" {
			env = append(env, "SOHOA_CRASH_AT="+p.at)
		}
		switch p.phase {
		case "ingest":
			cmd = launchEnv(t, bin, addr, data, env, noOCR)
			citizen := fmt.Sprintf("001203%06d", 100+i)
			var created struct{ ID string }
			clerk.json("POST", "/v1/dossiers", map[string]any{"procedure": birthReg,
				"citizen": map[string]string{"id": citizen, "name": "Nguyễn Văn An"}}, 201, &created)
			if st, b, _ := clerk.do("PUT", "/v1/dossiers/"+created.ID+"/scan", "application/pdf", scan); st != 202 {
				t.Fatalf("%s: upload: %d %s", name, st, b)
			}
			died(cmd, p)
			cmd = launch(t, bin, addr, data, noOCR)
			d := clerk.waitStatus(created.ID)
			if d.Status != "VALIDATED" {
				t.Fatalf("%s: after restart %s %+v", name, d.Status, d.Findings)
			}
			m := made{id: created.ID, citizen: citizen}
			if len(signQueue) < nSign {
				officer.json("POST", "/v1/dossiers/"+created.ID+"/decision", map[string]any{"approve": true}, 200, nil)
				if st, b, _ := officer.do("PUT", "/v1/dossiers/"+created.ID+"/result", "application/pdf", result); st != 200 {
					t.Fatalf("result upload: %d %s", st, b)
				}
				m.signed = true
				signQueue = append(signQueue, m)
			}
			dossiers = append(dossiers, m)
			stop(cmd)
		case "sign":
			if len(signQueue) == 0 {
				t.Fatal("no approved dossier left to sign")
			}
			m := signQueue[0]
			signQueue = signQueue[1:]
			cmd = launchEnv(t, bin, addr, data, env, noOCR)
			cred, otp := credentialAndOTP(t, officer)
			body := fmt.Sprintf(`{"credentialId":%q,"otp":%q}`, cred, otp)
			req, _ := http.NewRequest("POST", c.base+"/v1/dossiers/"+m.id+"/result/sign", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+officer.token)
			errc := make(chan error, 1)
			go func() {
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					resp.Body.Close()
				}
				errc <- err
			}()
			died(cmd, p)
			<-errc
			cmd = launch(t, bin, addr, data, noOCR)
			var d dossierJSON
			clerk.json("GET", "/v1/dossiers/"+m.id, nil, 200, &d)
			if d.Status == "APPROVED" { // the crash came before RESULT_ISSUED: sign again
				signResultQuiet(t, officer, m.id)
			}
			stop(cmd)
		}
	}

	// Every invariant, on a last clean run.
	cmd = launch(t, bin, addr, data, noOCR)
	defer stop(cmd)
	for _, m := range dossiers {
		var d struct {
			Status     string
			Components []struct {
				Code, Source, SHA256 string
				Certified            bool
			}
			Result *struct{ DocumentID string }
		}
		clerk.json("GET", "/v1/dossiers/"+m.id, nil, 200, &d)
		citizen := c.as(c.tokenFor("citizen", m.citizen, "", ""))
		var docs struct {
			Documents []struct {
				ID, Kind, SHA256 string
				Version          int
			}
		}
		citizen.json("GET", "/v1/vault/documents", nil, 200, &docs)
		byKind := map[string]int{}
		for _, doc := range docs.Documents {
			byKind[doc.Kind]++
			if doc.Version != 1 {
				t.Errorf("dossier %s: %s has version %d (a duplicate issue)", m.id, doc.Kind, doc.Version)
			}
		}
		for _, comp := range d.Components {
			if !comp.Certified || comp.Source != "scan" {
				t.Errorf("dossier %s: component %s not certified from the scan", m.id, comp.Code)
				continue
			}
			found := false
			for _, doc := range docs.Documents {
				if doc.Kind == comp.Code && doc.SHA256 == comp.SHA256 {
					found = true
				}
			}
			if !found || byKind[comp.Code] != 1 {
				t.Errorf("dossier %s: %s in the vault %d times, bytes as announced: %v", m.id, comp.Code, byKind[comp.Code], found)
			}
		}
		want := 3
		if m.signed {
			want = 4
			if d.Status != "RESULT_ISSUED" || d.Result == nil || byKind["GKS"] != 1 {
				t.Errorf("dossier %s: %s, result %+v, %d results in the vault", m.id, d.Status, d.Result, byKind["GKS"])
			}
		}
		if len(docs.Documents) != want {
			t.Errorf("dossier %s: %d documents in the vault, want %d", m.id, len(docs.Documents), want)
		}
		var audit struct{ Verified bool }
		citizen.json("GET", "/v1/vault/audit", nil, 200, &audit)
		if !audit.Verified {
			t.Errorf("dossier %s: the access log does not verify after the crashes", m.id)
		}
	}
	t.Logf("%d crash points, %d dossiers checked", len(points), len(dossiers))
}

// startEnv starts the binary with extra environment variables and returns
// at once: for a run that is expected to kill itself.
func startEnv(t *testing.T, bin, addr, data string, env []string) *exec.Cmd {
	t.Helper()
	cmd, _ := startLogged(t, bin, addr, data, env)
	return cmd
}

// startLogged starts the binary with extra environment variables, its
// output kept and shown when the test fails.
func startLogged(t testing.TB, bin, addr, data string, env []string, extra ...string) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	// Crash tests ask a code for every crash point: more than an officer may.
	cmd := exec.Command(bin, append([]string{"-dev", "-addr", addr, "-data", data, "-otp-sends", "1000"}, extra...)...)
	cmd.Env = append(cmd.Environ(), env...)
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
		if t.Failed() {
			t.Logf("stack log (%v):\n%s", env, logs.String())
		}
	})
	return cmd, logs
}

// launchEnv is launch with extra environment variables.
func launchEnv(t *testing.T, bin, addr, data string, env []string, extra ...string) *exec.Cmd {
	t.Helper()
	cmd, logs := startLogged(t, bin, addr, data, env, extra...)
	waitHealthy(t, addr, logs)
	return cmd
}

func credentialAndOTP(t *testing.T, officer client) (string, string) {
	t.Helper()
	var creds struct {
		Credentials []struct{ ID string }
	}
	officer.json("GET", "/v1/signing/credentials", nil, 200, &creds)
	if len(creds.Credentials) == 0 {
		t.Fatal("no credential")
	}
	return creds.Credentials[0].ID, requestOTP(t, officer, creds.Credentials[0].ID)
}

func signResultQuiet(t *testing.T, officer client, id string) {
	t.Helper()
	cred, otp := credentialAndOTP(t, officer)
	officer.json("POST", "/v1/dossiers/"+id+"/result/sign", map[string]string{"credentialId": cred, "otp": otp}, 200, nil)
}

// TestSignJobSurvivesCrashes kills the real binary three times in one
// batch-signing job: right after the signature values are kept, in the
// middle of a chunk of issues, and right after a chunk's progress is saved.
// Each restart resumes the job with no second code; at the end every result
// is signed and in its citizen's vault exactly once.
func TestSignJobSurvivesCrashes(t *testing.T) {
	heavy(t)
	const n = 12
	bin, data, addr := binary(t), t.TempDir(), freeAddr(t)
	sample := scanPDF(t, scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
		scantest.Separator("CCCD", "Căn cước"), scantest.Text("CCCD"))
	result := resultPDF(t)
	c := client{t: t, base: "http://" + addr, data: data}
	cmd := launch(t, bin, addr, data)
	clerk := c.as(c.tokenFor("postal_clerk", "clerk-01", "", "Trần Thị Mai"))
	officer := c.as(c.tokenFor("agency_officer", officerHT, agencyHT, officerNam))
	ids := make([]string, n)
	for i := range ids {
		var d struct{ ID string }
		clerk.json("POST", "/v1/dossiers", map[string]any{"procedure": birthReg,
			"citizen": map[string]string{"id": fmt.Sprintf("001203%06d", 500+i), "name": "Công dân"}}, 201, &d)
		if st, b, _ := clerk.do("PUT", "/v1/dossiers/"+d.ID+"/scan", "application/pdf", sample); st != 202 {
			t.Fatalf("upload: %d %s", st, b)
		}
		ids[i] = d.ID
	}
	for _, id := range ids {
		if got := clerk.waitStatus(id); got.Status != "VALIDATED" {
			t.Fatalf("dossier %s: %s", id, got.Status)
		}
		officer.json("POST", "/v1/dossiers/"+id+"/decision", map[string]any{"approve": true}, 200, nil)
		if st, b, _ := officer.do("PUT", "/v1/dossiers/"+id+"/result", "application/pdf", result); st != 200 {
			t.Fatalf("result: %d %s", st, b)
		}
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_, _ = cmd.Process.Wait()

	var job jobAnswer
	for i, at := range []string{"signjob.kept#1", "signjob.issued#2", "signjob.saved#1"} {
		if i > 0 {
			// The job resumes as the stack starts and may reach its crash
			// point before the stack answers /healthz: just start it.
			cmd = startEnv(t, bin, addr, data, []string{"SOHOA_CRASH_AT=" + at})
		} else {
			cmd = launchEnv(t, bin, addr, data, []string{"SOHOA_CRASH_AT=" + at})
		}
		if i == 0 {
			// The one code, asked for and spent in this run (the local
			// provider keeps pending codes in memory, as a real one would
			// keep them for minutes).
			cred, otp := credentialAndOTP(t, officer)
			officer.json("POST", "/v1/agency/sign-batch", map[string]any{"dossierIds": ids, "credentialId": cred, "otp": otp}, 202, &job)
		}
		done := make(chan struct{})
		go func() { _, _ = cmd.Process.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Minute):
			t.Fatalf("%s: the process never reached its crash point", at)
		}
	}
	cmd = launch(t, bin, addr, data)
	defer func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() }()
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		officer.json("GET", "/v1/agency/sign-jobs/"+job.Job, nil, 200, &job)
		if job.Status == "done" || job.Status == "failed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still %s (%d/%d)", job.Status, job.Done, job.Total)
		}
	}
	if job.Status != "done" || len(job.Results) != n {
		t.Fatalf("job %+v", job)
	}
	for i, r := range job.Results {
		if r.DocumentID == "" || r.Error != "" {
			t.Errorf("dossier %s: %q", r.DossierID, r.Error)
		}
		citizen := c.as(c.tokenFor("citizen", fmt.Sprintf("001203%06d", 500+i), "", ""))
		var docs struct {
			Documents []struct {
				ID      string
				Signed  bool
				Version int
			}
		}
		citizen.json("GET", "/v1/vault/documents?kind=GKS", nil, 200, &docs)
		if len(docs.Documents) != 1 || !docs.Documents[0].Signed || docs.Documents[0].Version != 1 {
			t.Errorf("citizen %d's signed results: %+v", i, docs.Documents)
		}
	}
}
