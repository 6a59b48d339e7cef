// Package errs defines the kinds of error the domain reports and one constructor, E, that every package uses.
// Transports map a Kind to their own codes in one table (see internal/rpc).
package errs

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error by what the caller can do about it.
type Kind uint8

// The kinds of error. Other is an unexpected failure whose text must not reach clients.
const (
	Other           Kind = iota // unexpected; logged, shown to clients as a generic message
	Invalid                     // the request is malformed or names something that cannot exist
	NotFound                    // the thing does not exist or the caller may not see it
	Conflict                    // it already exists
	Precondition                // the system is not in a state that allows it (seat taken, hold expired)
	Unauthenticated             // no valid credentials
	Permission                  // authenticated but not allowed
	Exhausted                   // a limit was reached
	Unavailable                 // a dependency is down; retrying later may succeed
)

var kindNames = [...]string{
	Other: "other", Invalid: "invalid", NotFound: "not found", Conflict: "conflict",
	Precondition: "precondition", Unauthenticated: "unauthenticated", Permission: "permission",
	Exhausted: "exhausted", Unavailable: "unavailable",
}

// String names the kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Error is an error with an operation, a kind and a cause. Msg, when set, is safe to show to clients.
type Error struct {
	Op   string // operation, for example "booking.Create"
	Kind Kind
	Msg  string // client-safe message
	Err  error  // underlying cause, never shown to clients
}

// E builds an *Error from its arguments: a string op (first string), a Kind, a client-safe message (a second
// string) and an error cause (nil is ignored), in any order. A cause that is itself an *Error lends its kind and message when
// none is given.
func E(args ...any) error {
	e := &Error{}
	for _, a := range args {
		switch a := a.(type) {
		case string:
			if e.Op == "" {
				e.Op = a
			} else {
				e.Msg = a
			}
		case Kind:
			e.Kind = a
		case error:
			e.Err = a
		case nil:
			// a nil cause adds nothing
		default:
			panic(fmt.Sprintf("errs.E: bad argument %T", a))
		}
	}
	var inner *Error
	if errors.As(e.Err, &inner) {
		if e.Kind == Other {
			e.Kind = inner.Kind
		}
		if e.Msg == "" {
			e.Msg = inner.Msg
		}
	}
	return e
}

// Errorf builds an error of kind k whose client-safe message is formatted from format and args.
func Errorf(op string, k Kind, format string, args ...any) error {
	return &Error{Op: op, Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// Error renders op, kind, message and cause for logs.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.Kind != Other {
		b.WriteString(": " + e.Kind.String())
	}
	if e.Msg != "" {
		b.WriteString(": " + e.Msg)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of the outermost *Error in err's chain with a kind other than Other, or Other.
func KindOf(err error) Kind {
	for err != nil {
		if e, ok := err.(*Error); ok && e.Kind != Other {
			return e.Kind
		}
		err = errors.Unwrap(err)
	}
	return Other
}

// Message returns the client-safe message of err, or "" when it has none.
func Message(err error) string {
	for err != nil {
		if e, ok := err.(*Error); ok && e.Msg != "" {
			return e.Msg
		}
		err = errors.Unwrap(err)
	}
	return ""
}

// Is reports whether err is of kind k.
func Is(err error, k Kind) bool { return KindOf(err) == k }

// KeyReused is the one error for an idempotency key sent again with a different request, wherever it is
// detected (our own keys or a payment provider's): Precondition, since the key is bound to its first request.
func KeyReused(op string) error {
	return Errorf(op, Precondition, "this idempotency key was already used for a different request")
}
