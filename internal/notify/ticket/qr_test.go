package ticket_test

import (
	"bytes"
	"fmt"
	"image/png"
	"strings"
	"testing"

	"github.com/marqueehq/marquee/internal/notify/ticket"
)

func TestQRPNG(t *testing.T) {
	_, priv := newKey(t, 0)
	var twelveSeats []string
	for i := range 12 {
		twelveSeats = append(twelveSeats, fmt.Sprintf("use1_01JD8X3V4QSEAT%011d", i))
	}
	tests := []struct {
		name string
		tk   ticket.Ticket
	}{
		{"OK", sample()},
		{"OKTwelveLongSeatIDs", sample(func(tk *ticket.Ticket) { tk.SeatIDs = twelveSeats })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := ticket.QRPNG(mustSign(t, priv, tt.tk), 480)
			if err != nil {
				t.Fatalf("QRPNG: %v", err)
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("QRPNG output does not decode as PNG: %v", err)
			}
			if b := img.Bounds(); b.Dx() != 480 || b.Dy() != 480 {
				t.Errorf("image is %dx%d, want 480x480", b.Dx(), b.Dy())
			}
		})
	}
}

func TestQRPNGRejects(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		size    int
	}{
		{"ErrEmpty", "", 256},
		{"ErrZeroSize", "MQT1.x.y", 0},
		{"ErrHugeSize", "MQT1.x.y", 5000},
		{"ErrTooLongForQR", strings.Repeat("x", 4000), 256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ticket.QRPNG(tt.payload, tt.size); err == nil {
				t.Errorf("QRPNG(%d chars, %d) succeeded, want an error", len(tt.payload), tt.size)
			}
		})
	}
}
