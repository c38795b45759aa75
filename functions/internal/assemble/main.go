package assemble

import (
	"context"
	"fmt"
	"os"
	"reflect"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sohoa/sohoa/pkg/format/scan"
)

// Main is every function's main. A process started as the isolated reader
// of untrusted files (scan.SplitIsolated and the other one-door readers)
// does only that. Otherwise it reads function fn's configuration from the
// environment once, builds its handler with build (outside the handler:
// once per container) and hands it to the Lambda runtime: the handler
// itself when it is a function, else its Handle method. A function that
// cannot start says why on stderr and exits 1, which Lambda reports as an
// init error.
func Main[H any](fn string, build func(context.Context, Config) (H, error)) {
	scan.RunChildIfRequested()
	ctx := context.Background()
	cfg, err := Load(fn, os.Getenv)
	if err == nil {
		var h H
		if h, err = build(ctx, cfg); err == nil {
			lambda.StartWithOptions(entry(h), lambda.WithContext(ctx))
			return
		}
	}
	fmt.Fprintln(os.Stderr, fn+":", err)
	os.Exit(1)
}

// entry returns what the runtime calls for handler h: h itself when it is
// a function, else its Handle method.
func entry(h any) any {
	v := reflect.ValueOf(h)
	if v.Kind() == reflect.Func {
		return h
	}
	if m := v.MethodByName("Handle"); m.IsValid() {
		return m.Interface()
	}
	panic(fmt.Sprintf("assemble: handler %T is neither a function nor has a Handle method", h))
}
