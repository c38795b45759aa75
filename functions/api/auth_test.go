package main

import (
	"testing"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

func TestActorFromClaims(t *testing.T) {
	tests := []struct {
		name   string
		claims map[string]string
		want   identity.Actor
		kind   errs.Kind
	}{
		{"clerk by group", map[string]string{"sub": "u1", "cognito:groups": "[postal_clerk]", "name": "Mai", "custom:post_office": "BC Hoàn Kiếm", "custom:agency": "x"},
			identity.Actor{Subject: "u1", Role: identity.Clerk, Name: "Mai", PostOffice: "BC Hoàn Kiếm"}, errs.Internal},
		{"officer with agency", map[string]string{"sub": "u2", "cognito:groups": "[agency_officer other]", "custom:agency": "000.21.29.H29"},
			identity.Actor{Subject: "u2", Role: identity.Officer, Agency: "000.21.29.H29"}, errs.Internal},
		{"officer without agency", map[string]string{"sub": "u2", "cognito:groups": "agency_officer"}, identity.Actor{}, errs.Forbidden},
		{"citizen by ID claim", map[string]string{"sub": "uuid", "cognito:groups": "[citizen]", "custom:citizen_id": "001203012345"},
			identity.Actor{Subject: "001203012345", Role: identity.Citizen}, errs.Internal},
		{"citizen without ID", map[string]string{"sub": "uuid", "cognito:groups": "[citizen]"}, identity.Actor{}, errs.Unauthorized},
		{"role claim wins", map[string]string{"sub": "u3", "custom:role": "auditor", "cognito:groups": "[citizen]"},
			identity.Actor{Subject: "u3", Role: identity.Auditor}, errs.Internal},
		{"two role groups", map[string]string{"sub": "u4", "cognito:groups": "[auditor postal_clerk]"}, identity.Actor{}, errs.Forbidden},
		{"same group twice", map[string]string{"sub": "u4", "cognito:groups": "auditor,auditor"}, identity.Actor{Subject: "u4", Role: identity.Auditor}, errs.Internal},
		{"no role", map[string]string{"sub": "u5", "cognito:groups": "[admins]"}, identity.Actor{}, errs.Forbidden},
		{"unknown role claim", map[string]string{"sub": "u5", "custom:role": "root"}, identity.Actor{}, errs.Forbidden},
		{"no subject", map[string]string{"cognito:groups": "[auditor]"}, identity.Actor{}, errs.Unauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ActorFromClaims(tt.claims)
			if tt.kind != errs.Internal { // Internal: no error expected
				if !errs.Is(err, tt.kind) {
					t.Fatalf("err %v, want kind %s", err, tt.kind)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
