package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestTrickledBodyIsCutAtItsDeadline sends a PDF to verify a few bytes at a
// time, never finishing, to the API and to the /verify page through the
// whole local stack (its request logger wraps the writer): the server gives
// the body the time it promises, then answers or closes the connection,
// rather than holding it (and, before, a verification slot) for as long as
// the client likes.
func TestTrickledBodyIsCutAtItsDeadline(t *testing.T) {
	const wait = 2 * time.Second
	st := inProcess(t, Options{DataDir: t.TempDir(), VerifyBodyWait: wait})
	addr := strings.TrimPrefix(st.URL, "http://")
	tests := []struct {
		name, path, ctype, head string
	}{
		{"API", "/v1/verify", "application/pdf", "%PDF-1.7\n"},
		{"page", "/verify", "multipart/form-data; boundary=XyZ",
			"--XyZ\r\nContent-Disposition: form-data; name=\"pdf\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			// 40 MB promised; a few bytes every 100 ms: ~60 days to arrive.
			fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s",
				tt.path, addr, tt.ctype, 40<<20, tt.head)
			start := time.Now()
			stop := make(chan struct{})
			trickling := make(chan error, 1)
			go func() {
				tick := time.NewTicker(100 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						trickling <- nil
						return
					case <-tick.C:
						if _, err := conn.Write([]byte("0 0 obj\n")); err != nil {
							trickling <- err
							return
						}
					}
				}
			}()
			// The answer (or the connection closed) must come by the deadline
			// plus a generous margin; the client never stops on its own.
			_ = conn.SetReadDeadline(time.Now().Add(wait + 20*time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			took := time.Since(start)
			close(stop)
			<-trickling
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("the server still held the trickled body %v after its %v deadline", took, wait)
			}
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode < 400 || resp.StatusCode >= 500 {
					t.Errorf("a body cut at its deadline answers a 4xx, got %d", resp.StatusCode)
				}
			}
			if took < wait {
				t.Errorf("cut after %v, before the %v the route promises", took, wait)
			}
		})
	}
}
