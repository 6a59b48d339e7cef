package notify

import (
	"strconv"
	"strings"
)

// Money is an amount in minor units of an ISO 4217 currency (cents of USD, pence of GBP, yen of JPY).
type Money struct {
	AmountMinor int64
	Currency    string
}

// currencies maps a currency to its symbol and the number of minor-unit digits, where either is not "no
// symbol, two digits".
var currencies = map[string]struct {
	symbol string
	digits int
}{
	"USD": {"$", 2}, "EUR": {"€", 2}, "GBP": {"£", 2}, "JPY": {"¥", 0}, "INR": {"₹", 2},
	"CAD": {"CA$", 2}, "AUD": {"A$", 2}, "NZD": {"NZ$", 2}, "KRW": {"₩", 0},
	"ISK": {"", 0}, "CLP": {"", 0}, "VND": {"", 0}, "HUF": {"", 2},
	"BHD": {"", 3}, "KWD": {"", 3}, "JOD": {"", 3}, "OMR": {"", 3}, "TND": {"", 3},
}

// String formats m for people, with grouped thousands: "$12.00" (USD), "€12.00" (EUR), "£1,234.50" (GBP),
// "¥1,200" (JPY). A currency without a symbol here is written with its code: "CHF 12.00", "KWD 1.500".
// Negative amounts start with a minus sign: "-$5.00".
func (m Money) String() string {
	code := strings.ToUpper(m.Currency)
	c, known := currencies[code]
	if !known {
		c.digits = 2
	}
	sign, abs := "", uint64(m.AmountMinor)
	if m.AmountMinor < 0 {
		sign, abs = "-", uint64(-m.AmountMinor) // wraps to the right magnitude for math.MinInt64 too
	}
	unit := uint64(1)
	for range c.digits {
		unit *= 10
	}
	s := group(strconv.FormatUint(abs/unit, 10))
	if c.digits > 0 {
		frac := strconv.FormatUint(abs%unit, 10)
		s += "." + strings.Repeat("0", c.digits-len(frac)) + frac
	}
	if c.symbol != "" {
		return sign + c.symbol + s
	}
	return sign + code + " " + s
}

// FormatMoney formats amountMinor minor units of currency as Money.String does.
func FormatMoney(amountMinor int64, currency string) string {
	return Money{AmountMinor: amountMinor, Currency: currency}.String()
}

// group inserts a comma between each group of three digits of the decimal digits s.
func group(s string) string {
	if len(s) <= 3 {
		return s
	}
	head := len(s) % 3
	if head == 0 {
		head = 3
	}
	var b strings.Builder
	b.WriteString(s[:head])
	for i := head; i < len(s); i += 3 {
		b.WriteString("," + s[i:i+3])
	}
	return b.String()
}
