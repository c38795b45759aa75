// Package sns sends Sohoa's SMS notifications with Amazon SNS (Publish to a
// phone number, transactional): the notify.Sender of the SMS channel on AWS.
// Locally, notify.Outbox takes its place.
package sns

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"

	"github.com/sohoa/sohoa/pkg/domain/notify"
	"github.com/sohoa/sohoa/pkg/errs"
)

// API is the part of *sns.Client the Sender uses.
type API interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Options are the optional settings of a Sender.
type Options struct {
	// SenderID is the registered brand name shown as the sender (Vietnamese
	// carriers require a registered brand name for application SMS); empty
	// for the account default.
	SenderID string
}

// Sender sends SMS messages through SNS.
type Sender struct {
	api API
	o   Options
}

var _ notify.Sender = (*Sender)(nil)

// New returns a Sender.
func New(api API, o *Options) *Sender {
	s := &Sender{api: api}
	if o != nil {
		s.o = *o
	}
	return s
}

// maxSMS bounds a message: SNS accepts 1600 bytes (about ten segments).
const maxSMS = 1600

// Send implements notify.Sender. A number that is not a phone number, or one
// SNS refuses, is errs.Invalid; any other failure errs.Unavailable.
func (s *Sender) Send(ctx context.Context, m notify.Message) error {
	if m.Channel != notify.SMS {
		return errs.E(errs.Invalid, "sns: channel %q is not sms", m.Channel)
	}
	phone, err := E164(m.To)
	if err != nil {
		return err
	}
	body := m.Body
	if len(body) > maxSMS {
		body = truncate(body, maxSMS)
	}
	attrs := map[string]types.MessageAttributeValue{
		"AWS.SNS.SMS.SMSType": {DataType: aws.String("String"), StringValue: aws.String("Transactional")},
	}
	if s.o.SenderID != "" {
		attrs["AWS.SNS.SMS.SenderID"] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s.o.SenderID)}
	}
	_, err = s.api.Publish(ctx, &sns.PublishInput{PhoneNumber: aws.String(phone), Message: aws.String(body), MessageAttributes: attrs})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && (ae.ErrorCode() == "InvalidParameter" || ae.ErrorCode() == "InvalidParameterValue") {
			return errs.Wrap(errs.Invalid, err, "sns: message refused (%s)", ae.ErrorCode())
		}
		return errs.Wrap(errs.Unavailable, err, "sns: publish sms")
	}
	return nil
}

// truncate cuts s to at most n bytes without splitting a UTF-8 character.
func truncate(s string, n int) string {
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// E164 writes a phone number in E.164 form, reading a number without a
// country code as Vietnamese (+84): "0912 345 678" → "+84912345678". It
// accepts spaces, dots, dashes and parentheses as separators, and refuses
// anything else (errs.Invalid).
func E164(s string) (string, error) {
	var b strings.Builder
	for i, c := range strings.TrimSpace(s) {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == '+' && i == 0:
		case c == ' ' || c == '.' || c == '-' || c == '(' || c == ')':
		default:
			return "", errs.E(errs.Invalid, "sns: %q is not a phone number", s)
		}
	}
	d := b.String()
	plus := strings.HasPrefix(strings.TrimSpace(s), "+")
	switch {
	case plus:
	case strings.HasPrefix(d, "00"):
		d = d[2:]
	case strings.HasPrefix(d, "0"):
		d = "84" + d[1:]
	case strings.HasPrefix(d, "84") && len(d) >= 11:
	default:
		d = "84" + d
	}
	// E.164: at most 15 digits; Vietnamese numbers have 9 or 10 after +84.
	if len(d) < 8 || len(d) > 15 || d[0] == '0' {
		return "", errs.E(errs.Invalid, "sns: %q is not a phone number", s)
	}
	return "+" + d, nil
}
