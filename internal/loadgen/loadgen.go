// Package loadgen drives a full Marquee stack over HTTP with concurrent clients.
package loadgen

import (
	"context"
	"errors"
	"io"
)

// Main runs the load generator with command-line args, writing the results table to out.
func Main(ctx context.Context, args []string, out io.Writer) error {
	return errors.New("loadgen: not built yet")
}
