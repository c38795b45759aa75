package dossier_test

import (
	"reflect"
	"testing"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/errs"
)

// TestParseIngestMessage: the one decoder of the ingest queue takes the
// API's jobs and S3's notifications (keys URL-decoded, only creations), and
// refuses what is neither.
func TestParseIngestMessage(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []dossier.IngestJob
		invalid bool
	}{
		{"job", `{"dossierId":"d1","scanKey":"scans/d1/1"}`, []dossier.IngestJob{{DossierID: "d1", ScanKey: "scans/d1/1"}}, false},
		{"intake job", `{"intakeKey":"intake/d1/ab"}`, []dossier.IngestJob{{IntakeKey: "intake/d1/ab"}}, false},
		{"S3 put", `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"object":{"key":"intake/d+2/x%2By"}}}]}`,
			[]dossier.IngestJob{{IntakeKey: "intake/d 2/x+y"}}, false},
		{"S3 multipart, prefixed name", `{"Records":[{"eventName":"s3:ObjectCreated:CompleteMultipartUpload","s3":{"object":{"key":"intake/d3/a"}}}]}`,
			[]dossier.IngestJob{{IntakeKey: "intake/d3/a"}}, false},
		{"S3 deletion", `{"Records":[{"eventName":"ObjectRemoved:Delete","s3":{"object":{"key":"intake/d4/a"}}}]}`, nil, false},
		{"S3 test event", `{"Service":"Amazon S3","Event":"s3:TestEvent"}`, nil, false},
		{"not JSON", `not json`, nil, true},
		{"neither", `{"hello":"world"}`, nil, true},
		{"half a job", `{"dossierId":"d1"}`, nil, true},
		{"bad key escape", `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"object":{"key":"intake/%zz"}}}]}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := dossier.ParseIngestMessage([]byte(tt.body))
			if tt.invalid {
				if !errs.Is(err, errs.Invalid) {
					t.Fatalf("got %+v, %v; want errs.Invalid", got, err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
