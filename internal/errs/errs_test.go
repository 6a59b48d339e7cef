package errs_test

import (
	"errors"
	"testing"

	"github.com/marqueehq/marquee/internal/errs"
)

func TestE(t *testing.T) {
	cause := errors.New("disk on fire")
	inner := errs.E("store.Get", errs.NotFound, "booking not found", cause)
	outer := errs.E("booking.Get", inner)
	if errs.KindOf(outer) != errs.NotFound || errs.Message(outer) != "booking not found" || !errors.Is(outer, cause) {
		t.Fatalf("outer = %v: kind %v, message %q", outer, errs.KindOf(outer), errs.Message(outer))
	}
	if got := errs.E("op", errs.Invalid, "bad", nil); errs.KindOf(got) != errs.Invalid || errors.Unwrap(got) != nil {
		t.Fatalf("E with a nil cause = %#v", got)
	}
	if errs.KindOf(errors.New("plain")) != errs.Other || errs.Message(errors.New("plain")) != "" {
		t.Fatal("a plain error has kind Other and no client message")
	}
	if s := errs.E("op", errs.Precondition, "seat taken", cause).Error(); s != "op: precondition: seat taken: disk on fire" {
		t.Fatalf("Error() = %q", s)
	}
}
