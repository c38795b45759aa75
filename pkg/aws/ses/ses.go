// Package ses sends Sohoa's email notifications with Amazon SES (API v2,
// SendEmail): the notify.Sender of the email channel on AWS. Locally,
// notify.Outbox takes its place.
package ses

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/sohoa/sohoa/pkg/domain/notify"
	"github.com/sohoa/sohoa/pkg/errs"
)

// API is the part of *sesv2.Client the Sender uses.
type API interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// Options are the optional settings of a Sender.
type Options struct {
	// ConfigurationSet names the SES configuration set (bounce and complaint
	// events); empty for none.
	ConfigurationSet string
}

// Sender sends email messages through SES.
type Sender struct {
	api  API
	from string
	o    Options
}

var _ notify.Sender = (*Sender)(nil)

// New returns a Sender that sends from the verified address from.
func New(api API, from string, o *Options) *Sender {
	s := &Sender{api: api, from: from}
	if o != nil {
		s.o = *o
	}
	return s
}

// Send implements notify.Sender: a plain-text UTF-8 email. An address or
// message SES refuses is errs.Invalid; any other failure errs.Unavailable.
func (s *Sender) Send(ctx context.Context, m notify.Message) error {
	if m.Channel != notify.Email {
		return errs.E(errs.Invalid, "ses: channel %q is not email", m.Channel)
	}
	if m.To == "" {
		return errs.E(errs.Invalid, "ses: message without a recipient")
	}
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.from),
		Destination:      &types.Destination{ToAddresses: []string{m.To}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(m.Subject), Charset: aws.String("UTF-8")},
			Body:    &types.Body{Text: &types.Content{Data: aws.String(m.Body), Charset: aws.String("UTF-8")}},
		}},
	}
	if s.o.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(s.o.ConfigurationSet)
	}
	if m.DossierID != "" {
		in.EmailTags = []types.MessageTag{{Name: aws.String("dossier"), Value: aws.String(tagValue(m.DossierID))}}
	}
	if _, err := s.api.SendEmail(ctx, in); err != nil {
		return classify(err)
	}
	return nil
}

// classify maps SES errors to kinds: a refused message is not retried.
func classify(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "BadRequestException", "MessageRejected", "MailFromDomainNotVerifiedException", "NotFoundException":
			return errs.Wrap(errs.Invalid, err, "ses: message refused (%s)", ae.ErrorCode())
		}
	}
	return errs.Wrap(errs.Unavailable, err, "ses: send email")
}

// tagValue keeps the characters SES allows in a tag value (ASCII letters,
// digits, _ - . @), replacing the others.
func tagValue(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '@') {
			b[i] = '_'
		}
	}
	if len(b) > 256 {
		b = b[:256]
	}
	return string(b)
}
