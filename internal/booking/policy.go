package booking

import (
	"crypto/rand"
)

// confirmationAlphabet is Crockford's base32 without look-alike letters.
const confirmationAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewConfirmationCode returns a random code like "7KQ2-M9XD" (40 bits).
func NewConfirmationCode() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	code := make([]byte, 0, 9)
	for i, c := range b {
		if i == 4 {
			code = append(code, '-')
		}
		code = append(code, confirmationAlphabet[int(c)%len(confirmationAlphabet)])
	}
	return string(code)
}
