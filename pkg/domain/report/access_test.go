package report

import (
	"context"
	"testing"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

func TestFor(t *testing.T) {
	r, _ := newReporter(t, vn(t, "2026-03-20 12:00"))
	tests := []struct {
		name     string
		a        identity.Actor
		from, to string
		agencies []string // nil: an error of kind want
		want     errs.Kind
	}{
		{"auditor sees all", identity.Actor{Role: identity.Auditor, Subject: "au"}, "2026-03-01", "2026-03-20", []string{agencyA, agencyB}, 0},
		{"officer sees own", identity.Actor{Role: identity.Officer, Subject: "o", Agency: agencyB}, "2026-03-01", "2026-03-20", []string{agencyB}, 0},
		{"officer without agency", identity.Actor{Role: identity.Officer, Subject: "o"}, "2026-03-01", "2026-03-20", nil, errs.Forbidden},
		{"citizen", identity.Actor{Role: identity.Citizen, Subject: "001090012345"}, "2026-03-01", "2026-03-20", nil, errs.Forbidden},
		{"clerk", identity.Actor{Role: identity.Clerk, Subject: "c"}, "2026-03-01", "2026-03-20", nil, errs.Forbidden},
		{"bad dates", identity.Actor{Role: identity.Auditor, Subject: "au"}, "March", "2026-03-20", nil, errs.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.For(context.Background(), tt.a, tt.from, tt.to)
			if tt.agencies == nil {
				if !errs.Is(err, tt.want) {
					t.Fatalf("For = %v, want %v", err, tt.want)
				}
				return
			}
			if err != nil || len(got) != len(tt.agencies) {
				t.Fatalf("For = %v, %v", got, err)
			}
			for i, s := range got {
				if s.Agency != tt.agencies[i] {
					t.Errorf("agency %d = %s, want %s", i, s.Agency, tt.agencies[i])
				}
			}
		})
	}
}
