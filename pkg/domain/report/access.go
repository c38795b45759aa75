package report

import (
	"context"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

// For answers GET /v1/reports/sla?from&to for actor a: an auditor sees every
// agency, an agency officer only their own; anyone else is errs.Forbidden.
// from and to are read by ParsePeriod.
func (r *Reporter) For(ctx context.Context, a identity.Actor, from, to string) ([]AgencyStats, error) {
	var agency string
	switch a.Role {
	case identity.Auditor:
	case identity.Officer:
		if a.Agency == "" {
			return nil, errs.E(errs.Forbidden, "this officer has no agency")
		}
		agency = a.Agency
	default:
		return nil, errs.E(errs.Forbidden, "only auditors and agency officers see reports")
	}
	f, t, err := ParsePeriod(from, to)
	if err != nil {
		return nil, err
	}
	return r.SLA(ctx, f, t, agency)
}
