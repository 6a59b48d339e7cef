package ticket

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// PublicKeyEnv names the environment variable VerifyCommand reads the public key file from when
// --public-key is not given.
const PublicKeyEnv = "MARQUEE_TICKET_PUBLIC_KEY"

// VerifyCommand implements `marquee ticket verify [--public-key FILE] <payload>`; args are the arguments
// after "verify". It checks the ticket against the public key in FILE (a PEM "PUBLIC KEY", default
// $MARQUEE_TICKET_PUBLIC_KEY) and prints to stdout what the ticket proves. A ticket that does not verify is
// an error saying why, which wraps ErrMalformed, ErrVersion or ErrBadSignature; usage errors are flag errors.
func VerifyCommand(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("marquee ticket verify", flag.ContinueOnError)
	fs.SetOutput(stdout)
	keyFile := fs.String("public-key", os.Getenv(PublicKeyEnv), "PEM file of the ticket public key (default $"+PublicKeyEnv+")")
	fs.Usage = func() {
		fmt.Fprintf(stdout, "usage: marquee ticket verify [--public-key FILE] <payload>\n\n")
		fs.PrintDefaults()
	}
	var payloads []string
	for { // flags may come before or after the payload
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		payloads, args = append(payloads, fs.Arg(0)), fs.Args()[1:]
	}
	if len(payloads) != 1 {
		fs.Usage()
		return errors.New("ticket verify: want exactly one ticket payload")
	}
	if *keyFile == "" {
		return errors.New("ticket verify: no public key: pass --public-key FILE or set $" + PublicKeyEnv)
	}
	data, err := os.ReadFile(*keyFile)
	if err != nil {
		return fmt.Errorf("ticket verify: %w", err)
	}
	pub, err := ParsePublicKeyPEM(data)
	if err != nil {
		return fmt.Errorf("ticket verify: %s: %w", *keyFile, err)
	}
	t, err := Verify(pub, payloads[0])
	if err != nil {
		return fmt.Errorf("ticket verify: NOT VALID: %w", err)
	}
	_, err = io.WriteString(stdout, describe(t, Fingerprint(pub)))
	return err
}

// describe says what a verified ticket proves, and what it does not.
func describe(t Ticket, fingerprint string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "VALID ticket, signed by the key %s\n", fingerprint)
	line := func(label, value string) { fmt.Fprintf(&b, "  %-13s %s\n", label+":", value) }
	line("booking", t.BookingID)
	line("code", t.ConfirmationCode)
	line("showtime", t.ShowtimeID)
	if t.MovieTitle != "" {
		line("movie", t.MovieTitle)
	}
	if t.TheatreName != "" {
		line("theatre", t.TheatreName)
	}
	line("seats", strings.Join(t.SeatIDs, ", "))
	line("starts at", t.StartsAt.Format(time.RFC3339))
	line("issued at", t.IssuedAt.Format(time.RFC3339))
	b.WriteString("It proves Marquee issued these seats for this showtime at the time above. It does not prove\n" +
		"the booking is still active: check that it has not been cancelled since.\n")
	return b.String()
}
