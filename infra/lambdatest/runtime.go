// Package lambdatest runs a Lambda function's real bootstrap binary on this
// machine: it serves the Lambda Runtime API on loopback
// (/2018-06-01/runtime/invocation/next, /{id}/response, /{id}/error,
// /init/error), starts the binary with AWS_LAMBDA_RUNTIME_API pointing at it,
// and invokes it with event payloads, as the Lambda service would. It also
// measures the function's init time: from process start to its first /next.
//
// InvokeAPI serves the Lambda Invoke API in front of such functions, so that
// code invoking a function with the AWS SDK (the ingest function invoking
// the OCR function) reaches the real binary.
//
// It is a test harness: the tests beside it drive every function in
// functions/ with every file in events/ against the local AWS-compatible
// servers of infra/servers. It is not an emulator of Lambda's limits,
// concurrency or billing.
package lambdatest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MaxPayload is the largest response the runtime accepts: Lambda's 6 MB
// synchronous limit.
const MaxPayload = 6 << 20

// Result is a function's answer to one invocation: Payload on success, or the
// error document it posted to /error.
type Result struct {
	Payload []byte
	Error   *FunctionError
}

// FunctionError is the body a function posts to /error or /init/error.
type FunctionError struct {
	Message    string   `json:"errorMessage"`
	Type       string   `json:"errorType"`
	StackTrace []string `json:"stackTrace,omitempty"`
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

type invocation struct {
	id      string
	payload []byte
	done    chan Result
}

// Runtime serves the Lambda Runtime API for one function process.
type Runtime struct {
	ln  net.Listener
	srv *http.Server
	arn string

	queue chan *invocation

	mu        sync.Mutex
	inflight  map[string]*invocation
	firstNext time.Time
	nexted    chan struct{}
	initErr   *FunctionError
	seq       int
}

// NewRuntime starts a Runtime API on 127.0.0.1 for the function arn.
func NewRuntime(arn string) (*Runtime, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lambdatest: listen: %w", err)
	}
	r := &Runtime{ln: ln, arn: arn, queue: make(chan *invocation), inflight: map[string]*invocation{},
		nexted: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", r.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", r.response)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", r.error)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", r.initError)
	r.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// Addr is the value of AWS_LAMBDA_RUNTIME_API for the function.
func (r *Runtime) Addr() string { return r.ln.Addr().String() }

// Close stops the server; a function blocked in /next gets an error.
func (r *Runtime) Close() error { return r.srv.Close() }

// FirstNext returns when the function first asked for an invocation, and
// whether it has.
func (r *Runtime) FirstNext() (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.firstNext, !r.firstNext.IsZero()
}

// InitError returns what the function posted to /init/error, if anything.
func (r *Runtime) InitError() *FunctionError {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.initErr
}

func (r *Runtime) next(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	if r.firstNext.IsZero() {
		r.firstNext = time.Now()
		close(r.nexted)
	}
	r.mu.Unlock()
	var inv *invocation
	select {
	case inv = <-r.queue:
	case <-req.Context().Done():
		return
	}
	deadline := time.Now().Add(5 * time.Minute)
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", r.arn)
	h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0")
	h.Set("Content-Type", "application/json")
	_, _ = w.Write(inv.payload)
}

func (r *Runtime) finish(w http.ResponseWriter, req *http.Request, errDoc bool) {
	id := req.PathValue("id")
	r.mu.Lock()
	inv, ok := r.inflight[id]
	delete(r.inflight, id)
	r.mu.Unlock()
	if !ok {
		http.Error(w, `{"errorMessage":"unknown request id","errorType":"InvalidRequestID"}`, http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, MaxPayload+1))
	res := Result{}
	switch {
	case err != nil:
		res.Error = &FunctionError{Type: "Runtime.ReadError", Message: err.Error()}
	case len(body) > MaxPayload:
		res.Error = &FunctionError{Type: "Function.ResponseSizeTooLarge", Message: "response larger than 6 MB"}
	case errDoc:
		res.Error = &FunctionError{}
		if json.Unmarshal(body, res.Error) != nil {
			res.Error = &FunctionError{Type: "Runtime.Unknown", Message: string(body)}
		}
	default:
		res.Payload = body
	}
	inv.done <- res
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
}

func (r *Runtime) response(w http.ResponseWriter, req *http.Request) { r.finish(w, req, false) }
func (r *Runtime) error(w http.ResponseWriter, req *http.Request)    { r.finish(w, req, true) }

func (r *Runtime) initError(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, MaxPayload))
	fe := &FunctionError{}
	if json.Unmarshal(body, fe) != nil {
		fe = &FunctionError{Type: "Runtime.Unknown", Message: string(body)}
	}
	r.mu.Lock()
	r.initErr = fe
	r.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
}

// invoke hands payload to the function's next /next and waits for its answer.
// dead is closed when the function's process has exited.
func (r *Runtime) invoke(ctx context.Context, payload []byte, dead <-chan struct{}) (Result, error) {
	r.mu.Lock()
	r.seq++
	inv := &invocation{id: fmt.Sprintf("00000000-0000-4000-8000-%012d", r.seq), payload: payload, done: make(chan Result, 1)}
	r.inflight[inv.id] = inv
	r.mu.Unlock()
	select {
	case r.queue <- inv:
	case <-dead:
		return Result{}, errors.New("lambdatest: the function exited before taking the invocation")
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	select {
	case res := <-inv.done:
		return res, nil
	case <-dead:
		return Result{}, errors.New("lambdatest: the function exited during the invocation")
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

// Function is a running bootstrap process and its Runtime API.
type Function struct {
	Name string
	// Init is the time from process start to the first /next request.
	Init time.Duration

	rt     *Runtime
	cmd    *exec.Cmd
	dead   chan struct{}
	waited error
	logs   *syncBuffer
}

// Start runs the bootstrap bin as function name with env (KEY=VALUE; the
// runtime's variables are added) and waits until it asks for its first
// invocation, or fails if it exits first or takes longer than timeout.
func Start(ctx context.Context, name, bin string, env []string, timeout time.Duration) (*Function, error) {
	rt, err := NewRuntime("arn:aws:lambda:ap-southeast-1:123456789012:function:sohoa-" + name)
	if err != nil {
		return nil, err
	}
	f := &Function{Name: name, rt: rt, dead: make(chan struct{}), logs: &syncBuffer{}}
	f.cmd = exec.Command(bin)
	f.cmd.Dir = filepath.Dir(bin)
	f.cmd.Env = append(append([]string{}, env...),
		"AWS_LAMBDA_RUNTIME_API="+rt.Addr(),
		"AWS_LAMBDA_FUNCTION_NAME=sohoa-"+name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=1024",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/sohoa-"+name,
		"AWS_LAMBDA_LOG_STREAM_NAME=2026/11/23/[$LATEST]lambdatest",
		"LAMBDA_TASK_ROOT="+filepath.Dir(bin),
		"_HANDLER=bootstrap",
	)
	f.cmd.Stdout, f.cmd.Stderr = f.logs, f.logs
	start := time.Now()
	if err := f.cmd.Start(); err != nil {
		rt.Close()
		return nil, fmt.Errorf("lambdatest: start %s: %w", name, err)
	}
	go func() { f.waited = f.cmd.Wait(); close(f.dead) }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-rt.nexted:
		at, _ := rt.FirstNext()
		f.Init = at.Sub(start)
		return f, nil
	case <-f.dead:
		rt.Close()
		return nil, fmt.Errorf("lambdatest: %s exited during init (%v); init error %v; output:\n%s", name, f.waited, rt.InitError(), f.logs.String())
	case <-t.C:
	case <-ctx.Done():
	}
	f.Stop()
	return nil, fmt.Errorf("lambdatest: %s did not ask for an invocation within %v; output:\n%s", name, timeout, f.logs.String())
}

// Invoke sends one event to the function and returns its answer.
func (f *Function) Invoke(ctx context.Context, payload []byte) (Result, error) {
	return f.rt.invoke(ctx, payload, f.dead)
}

// Logs returns what the function has written to stdout and stderr.
func (f *Function) Logs() string { return f.logs.String() }

// Stop kills the process and the runtime server.
func (f *Function) Stop() {
	_ = f.cmd.Process.Kill()
	<-f.dead
	f.rt.Close()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() > 4<<20 { // keep the first 4 MB
		return len(p), nil
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Build compiles the bootstraps of the functions in dir/functions (the
// module root is dir) for this machine's OS and architecture, with the
// Lambda build tags, into out, and returns their paths by function name.
func Build(ctx context.Context, dir, out string, names ...string) (map[string]string, error) {
	args := []string{"build", "-tags", "lambda.norpc", "-o", out + string(os.PathSeparator)}
	for _, n := range names {
		args = append(args, "./functions/"+n)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("lambdatest: go %s: %w\n%s", strings.Join(args, " "), err, b)
	}
	paths := map[string]string{}
	for _, n := range names {
		paths[n] = filepath.Join(out, n)
	}
	return paths, nil
}
