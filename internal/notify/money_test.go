package notify_test

import (
	"math"
	"testing"

	"github.com/marqueehq/marquee/internal/notify"
)

func TestFormatMoney(t *testing.T) {
	tests := []struct {
		name     string
		amount   int64
		currency string
		want     string
	}{
		{"OKUSD", 1200, "USD", "$12.00"},
		{"OKEUR", 1200, "EUR", "€12.00"},
		{"OKGBP", 1200, "GBP", "£12.00"},
		{"OKLowerCaseCode", 1200, "usd", "$12.00"},
		{"OKCents", 5, "USD", "$0.05"},
		{"OKZero", 0, "EUR", "€0.00"},
		{"OKThousands", 123456789, "GBP", "£1,234,567.89"},
		{"OKExactThousand", 100000, "USD", "$1,000.00"},
		{"OKNegative", -500, "USD", "-$5.00"},
		{"OKNoMinorUnits", 1200, "JPY", "¥1,200"},
		{"OKThreeDigits", 1500, "KWD", "KWD 1.500"},
		{"OKUnknownCurrency", 1200, "CHF", "CHF 12.00"},
		{"OKMinInt64", math.MinInt64, "USD", "-$92,233,720,368,547,758.08"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := notify.FormatMoney(tt.amount, tt.currency); got != tt.want {
				t.Errorf("FormatMoney(%d, %q) = %q, want %q", tt.amount, tt.currency, got, tt.want)
			}
		})
	}
}
