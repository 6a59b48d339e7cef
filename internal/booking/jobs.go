package booking

import (
	"context"
	"time"

	"github.com/marqueehq/marquee/internal/jobs"
)

// RefundRetryAge is how old a pending card refund must be before the retry job tries it again: younger ones
// may still be in the hands of the cancellation that made them.
const RefundRetryAge = time.Minute

// RetryRefundsJob makes, every interval, the card refunds the provider failed to make (see RetryRefunds).
func (s *Service) RetryRefundsJob(every time.Duration) jobs.Job {
	return jobs.Job{Name: "booking.retry-refunds", Every: every, Run: func(ctx context.Context) error {
		_, err := s.RetryRefunds(ctx, RefundRetryAge)
		return err
	}}
}
