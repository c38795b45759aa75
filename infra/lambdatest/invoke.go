package lambdatest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"time"
)

// Invoker runs one invocation of a function: a *Function (a real bootstrap
// under the Runtime API) is one, and so is InProcess of a handler.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) (Result, error)
}

// InvokeAPI serves the Lambda Invoke API on loopback, as the Lambda service
// answers it, for code that invokes functions with the AWS SDK (its
// endpoint set to URL): POST /2015-03-31/functions/{name}/invocations,
// synchronous (RequestResponse) only. Each invocation goes to a free
// instance of the named function. Like Lambda it answers:
//   - the function's payload, 200;
//   - a function's error (its handler failed, or its process died), 200
//     with X-Amz-Function-Error: Unhandled and the error document;
//   - a request over 6 MB, 413 RequestTooLargeException;
//   - an unknown function, 404 ResourceNotFoundException;
//   - for a function added with throttle, when every instance is busy (its
//     reserved concurrency reached), 429 TooManyRequestsException; without
//     throttle the invocation waits for an instance, as if Lambda had
//     started one more.
//
// Requests are not authenticated.
type InvokeAPI struct {
	// URL is the endpoint for the SDK (lambda.Options.BaseEndpoint, or
	// AWS_ENDPOINT_URL_LAMBDA for a function under this harness).
	URL string

	ln  net.Listener
	srv *http.Server

	mu  sync.Mutex
	fns map[string]*instances
}

type instances struct {
	free             chan Invoker
	throttle         bool
	calls            int
	inflight, maxFly int
	sizes            []int
}

// NewInvokeAPI starts an Invoke API on 127.0.0.1.
func NewInvokeAPI() (*InvokeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lambdatest: listen: %w", err)
	}
	a := &InvokeAPI{URL: "http://" + ln.Addr().String(), ln: ln, fns: map[string]*instances{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", a.invoke)
	a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = a.srv.Serve(ln) }()
	return a, nil
}

// Add serves function name with the given instances (at least one).
func (a *InvokeAPI) Add(name string, throttle bool, insts ...Invoker) {
	in := &instances{free: make(chan Invoker, len(insts)), throttle: throttle}
	for _, i := range insts {
		in.free <- i
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.fns[name] = in
}

// Invocations returns how many invocations function name was handed.
func (a *InvokeAPI) Invocations(name string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if in, ok := a.fns[name]; ok {
		return in.calls
	}
	return 0
}

// RequestSizes returns the size in bytes of each request function name was
// handed, in the order they came.
func (a *InvokeAPI) RequestSizes(name string) []int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if in, ok := a.fns[name]; ok {
		return append([]int(nil), in.sizes...)
	}
	return nil
}

// MaxInFlight returns the most invocations of function name that ran at once.
func (a *InvokeAPI) MaxInFlight(name string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if in, ok := a.fns[name]; ok {
		return in.maxFly
	}
	return 0
}

// Close stops the server.
func (a *InvokeAPI) Close() error { return a.srv.Close() }

// functionName returns the function's name from the path's FunctionName:
// a name, an ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER])
// or a partial ARN (ACCOUNT:function:NAME).
func functionName(s string) string {
	if _, after, ok := strings.Cut(s, ":function:"); ok {
		s = after
	}
	name, _, _ := strings.Cut(s, ":")
	return name
}

// awsError writes an error as the Lambda API does: its type in
// X-Amzn-ErrorType and a JSON body.
func awsError(w http.ResponseWriter, status int, typ, msg string, extra map[string]string) {
	body := map[string]string{"Type": "User", "message": msg}
	for k, v := range extra {
		body[k] = v
	}
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (a *InvokeAPI) invoke(w http.ResponseWriter, r *http.Request) {
	raw, _ := url.PathUnescape(r.PathValue("name"))
	name := functionName(raw)
	if t := r.Header.Get("X-Amz-Invocation-Type"); t != "" && t != "RequestResponse" {
		awsError(w, http.StatusBadRequest, "InvalidParameterValueException", "lambdatest serves RequestResponse invocations only, not "+t, nil)
		return
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	if err != nil {
		awsError(w, http.StatusBadRequest, "InvalidRequestContentException", err.Error(), nil)
		return
	}
	if len(payload) > MaxPayload {
		awsError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException",
			fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", MaxPayload), nil)
		return
	}
	a.mu.Lock()
	in, ok := a.fns[name]
	a.mu.Unlock()
	if !ok {
		awsError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+raw, nil)
		return
	}
	var inst Invoker
	if in.throttle {
		select {
		case inst = <-in.free:
		default:
			awsError(w, http.StatusTooManyRequests, "TooManyRequestsException", "Rate Exceeded.",
				map[string]string{"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"})
			return
		}
	} else {
		select {
		case inst = <-in.free:
		case <-r.Context().Done():
			return
		}
	}
	a.mu.Lock()
	in.calls++
	in.sizes = append(in.sizes, len(payload))
	in.inflight++
	in.maxFly = max(in.maxFly, in.inflight)
	a.mu.Unlock()
	res, err := inst.Invoke(r.Context(), payload)
	a.mu.Lock()
	in.inflight--
	a.mu.Unlock()
	in.free <- inst
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	w.Header().Set("Content-Type", "application/json")
	switch {
	case err != nil: // the process died: Lambda reports the exit as the function's error
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		_ = json.NewEncoder(w).Encode(FunctionError{Type: "Runtime.ExitError", Message: err.Error()})
	case res.Error != nil:
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		_ = json.NewEncoder(w).Encode(res.Error)
	default:
		_, _ = w.Write(res.Payload)
	}
}

// Handler is a Lambda handler as aws-lambda-go's lambda.NewHandler makes it.
type Handler interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// InProcess is an Invoker that runs h in this process (lambda.NewHandler's
// JSON decoding and encoding, no Runtime API): its error becomes the error
// document aws-lambda-go posts, typed by the error's Go type, and an answer
// over maxResponse bytes (0: MaxPayload, Lambda's 6 MB) the error Lambda
// gives it.
func InProcess(h Handler, maxResponse int) Invoker {
	if maxResponse <= 0 {
		maxResponse = MaxPayload
	}
	return inProcess{h, maxResponse}
}

type inProcess struct {
	h   Handler
	max int
}

func (p inProcess) Invoke(ctx context.Context, payload []byte) (Result, error) {
	out, err := p.h.Invoke(ctx, payload)
	if err != nil {
		typ := reflect.TypeOf(err)
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		var fe *FunctionError
		if !errors.As(err, &fe) {
			fe = &FunctionError{Type: typ.Name(), Message: err.Error()}
		}
		return Result{Error: fe}, nil
	}
	if len(out) > p.max {
		return Result{Error: &FunctionError{Type: "Function.ResponseSizeTooLarge",
			Message: fmt.Sprintf("Response payload size (%d bytes) exceeded maximum allowed payload size (%d bytes).", len(out), p.max)}}, nil
	}
	return Result{Payload: out}, nil
}
