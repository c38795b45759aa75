package s3

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	tmtypes "github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager/types"
)

func TestRetainUntil(t *testing.T) {
	until := time.Date(2076, 1, 2, 3, 4, 5, 0, time.FixedZone("ICT", 7*3600))
	req := &transfermanager.UploadObjectInput{}
	as := func(i any) bool {
		p, ok := i.(**transfermanager.UploadObjectInput)
		if ok {
			*p = req
		}
		return ok
	}
	if err := RetainUntil(until)(as); err != nil {
		t.Fatal(err)
	}
	if req.ObjectLockMode != tmtypes.ObjectLockModeCompliance || req.ObjectLockRetainUntilDate == nil || !req.ObjectLockRetainUntilDate.Equal(until) {
		t.Fatalf("upload input: %+v", req)
	}
	if err := RetainUntil(until)(func(any) bool { return false }); err == nil {
		t.Fatal("a bucket that is not S3 took an object lock silently")
	}
}
