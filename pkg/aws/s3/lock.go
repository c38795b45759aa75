package s3

import (
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	tmtypes "github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager/types"
)

// RetainUntil returns a blob.WriterOptions.BeforeWrite that writes the object
// under Object Lock in COMPLIANCE mode until until: nobody, the account's root
// included, deletes or overwrites that version before then. The vault uses it
// (vault.Options.Lock) to keep each document kind as long as its law asks,
// beyond the bucket's default retention.
func RetainUntil(until time.Time) func(asFunc func(any) bool) error {
	return func(asFunc func(any) bool) error {
		var in *transfermanager.UploadObjectInput
		if !asFunc(&in) || in == nil {
			return errors.New("s3: object lock needs an S3 upload (this bucket is not S3)")
		}
		u := until.UTC()
		in.ObjectLockMode = tmtypes.ObjectLockModeCompliance
		in.ObjectLockRetainUntilDate = &u
		return nil
	}
}
