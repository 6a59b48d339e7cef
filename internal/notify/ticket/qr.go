package ticket

import (
	"errors"
	"fmt"

	"github.com/skip2/go-qrcode"
)

// QRPNG renders payload as a QR code (error correction level M, with the standard quiet zone) in a square PNG
// of size pixels a side, or larger when size is too small to give every module a pixel. size must be between
// 1 and 4096.
func QRPNG(payload string, size int) ([]byte, error) {
	if payload == "" {
		return nil, errors.New("ticket QR: empty payload")
	}
	if size < 1 || size > 4096 {
		return nil, fmt.Errorf("ticket QR: size %d is not between 1 and 4096", size)
	}
	png, err := qrcode.Encode(payload, qrcode.Medium, size)
	if err != nil {
		return nil, fmt.Errorf("ticket QR: %w", err)
	}
	return png, nil
}
