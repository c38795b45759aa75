// Package errs defines the kinds of failure that Sohoa's domain reports, so that
// callers decide by kind (errors.Is) and the HTTP layer translates a kind to an
// RFC 9457 problem in exactly one place.
//
// It is not for user-facing findings on a dossier: those are dossier.Finding.
package errs

import (
	"errors"
	"fmt"
	"time"
)

// Kind is a class of failure. The zero Kind is Internal.
type Kind int

// The kinds of failure, each with one HTTP status in the api package.
const (
	Internal     Kind = iota // a bug or an unexpected fault: 500
	Invalid                  // the caller's input is wrong: 400
	Unauthorized             // no or bad credentials: 401
	Forbidden                // valid credentials without the right: 403
	NotFound                 // no such thing (or not visible to this caller): 404
	Conflict                 // the thing is not in a state that allows this: 409
	Gone                     // it existed but is no longer available: 410
	TooLarge                 // the body is over its limit: 413
	Unsupported              // the media type is not accepted: 415
	Unavailable              // a dependency is down or slow; retry later: 503

	// Unprocessable: a well-formed request whose content cannot be processed
	// (a damaged or encrypted PDF, one certified against any change): 422.
	Unprocessable

	// TooMany: the caller, or everyone, asked more than a limit allows right
	// now; Error.RetryAfter says when to come back (1 s when unset): 429.
	TooMany
)

var kindNames = map[Kind]string{
	Internal: "internal", Invalid: "invalid-input", Unauthorized: "unauthorized",
	Forbidden: "forbidden", NotFound: "not-found", Conflict: "conflict", Gone: "gone",
	TooLarge: "too-large", Unsupported: "unsupported-media-type", Unavailable: "unavailable",

	Unprocessable: "unprocessable-content",
	TooMany:       "too-many-requests",
}

// String returns the kind's stable code, used as the problem type suffix.
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return "internal"
}

// Error is a failure of a Kind with a message safe to show to the caller.
// Field names the input field at fault, if any.
type Error struct {
	Kind    Kind
	Message string
	Field   string
	Err     error // the cause, for logs; never shown to callers
	// RetryAfter, for TooMany, is how long the caller should wait.
	RetryAfter time.Duration
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is a *Error of the same Kind with no message, so
// errors.Is(err, errs.E(errs.NotFound, "")) works; prefer errs.KindOf.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Kind == e.Kind
}

// E returns an error of kind k with a message formatted for the caller.
func E(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an Invalid error naming the input field at fault.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error of kind k with a caller-safe message and a cause.
func Wrap(k Kind, err error, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...), Err: err}
}

// KindOf returns the Kind of the first *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Is reports whether err's chain holds an *Error of kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }
