package assemble

import (
	"context"
	"reflect"
	"testing"
)

type withHandle struct{}

func (withHandle) Handle(context.Context, string) (string, error) { return "ok", nil }

func TestEntry(t *testing.T) {
	f := func(context.Context, string) (string, error) { return "f", nil }
	if reflect.ValueOf(entry(f)).Pointer() != reflect.ValueOf(f).Pointer() {
		t.Fatal("a function handler is not passed as it is")
	}
	h, ok := entry(&withHandle{}).(func(context.Context, string) (string, error))
	if !ok {
		t.Fatalf("entry(&withHandle{}) = %T, want its Handle method", entry(&withHandle{}))
	}
	if got, _ := h(context.Background(), ""); got != "ok" {
		t.Fatalf("Handle answered %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a handler with no Handle method is accepted")
		}
	}()
	entry(struct{}{})
}
