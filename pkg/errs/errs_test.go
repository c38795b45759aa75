package errs

import (
	"errors"
	"fmt"
	"testing"
)

func TestKindOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{"plain", errors.New("x"), Internal},
		{"direct", E(NotFound, "no dossier %s", "x"), NotFound},
		{"wrapped", fmt.Errorf("get: %w", E(Conflict, "busy")), Conflict},
		{"field", FieldError("citizen.id", "bad"), Invalid},
		{"cause", Wrap(Unavailable, errors.New("dial"), "signer down"), Unavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := KindOf(tt.err); got != tt.want {
				t.Fatalf("KindOf = %v, want %v", got, tt.want)
			}
			if tt.want != Internal && !errors.Is(tt.err, &Error{Kind: tt.want}) {
				t.Fatalf("errors.Is by kind failed")
			}
		})
	}
}
