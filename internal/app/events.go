package app

import (
	"context"
	"strings"

	"google.golang.org/protobuf/proto"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/internal/events/relay"
	"github.com/marqueehq/marquee/internal/standby"
)

// standbyTrigger serves a show's standby line as soon as its seats are freed: a cancellation (whole or
// partial) or released seats (an expired, released or declined hold). Serving is idempotent, so a redelivered
// event only finds nothing left to offer.
func standbyTrigger(svc *standby.Service) relay.Handler {
	return func(ctx context.Context, m relay.Msg) error {
		var showtimeID string
		switch {
		case strings.HasSuffix(m.Subject, ".booking.cancelled"):
			var ev marqueev1.BookingCancelled
			if err := proto.Unmarshal(m.Data, &ev); err != nil {
				return nil // not ours to retry: a malformed payload stays malformed
			}
			showtimeID = ev.ShowtimeId
		case strings.HasSuffix(m.Subject, ".seats.released"):
			var ev marqueev1.SeatsReleased
			if err := proto.Unmarshal(m.Data, &ev); err != nil {
				return nil
			}
			showtimeID = ev.ShowtimeId
		default:
			return nil
		}
		_, err := svc.Serve(ctx, showtimeID)
		return err
	}
}
