package notify_test

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/marqueehq/marquee/internal/notify"
)

func TestICSGolden(t *testing.T) {
	tests := []struct {
		name  string
		event notify.Event
	}{
		{"confirmation", notify.CalendarEvent(booking(), confirmedAt)},
		{"escaping", notify.Event{UID: "b1@marquee", Stamp: confirmedAt, Start: startsAt, End: endsAt,
			Summary: `Back\slash; semi, comma`, Location: "Marquee Opéra, 2 rue Scribe, 75009 Paris",
			Description: "Line one\r\nLine two\nLine three\rLine four; a very long line of text that has to be folded at " +
				"seventy-five octets, with accents é à ü and a 🎬 emoji that must not be split across a fold",
			URL: "https://marquee.example/bookings/b1?x=1,2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := notify.ICS(tt.event)
			if err != nil {
				t.Fatalf("ICS: %v", err)
			}
			checkICSLines(t, got)
			golden(t, tt.name+".ics", got)
		})
	}
}

// checkICSLines checks the RFC 5545 framing: CRLF only, at most 75 octets a line, valid UTF-8 on every line.
func checkICSLines(t *testing.T, ics []byte) {
	t.Helper()
	if !bytes.HasSuffix(ics, []byte("\r\n")) || bytes.Count(ics, []byte("\n")) != bytes.Count(ics, []byte("\r\n")) {
		t.Error("lines do not all end in CRLF")
	}
	for i, line := range strings.Split(strings.TrimSuffix(string(ics), "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line %d is %d octets, more than 75: %q", i+1, len(line), line)
		}
		if !utf8.ValidString(line) {
			t.Errorf("line %d splits a UTF-8 sequence: %q", i+1, line)
		}
	}
}

// TestICSUnfold checks that unfolding and unescaping give back the original text.
func TestICSUnfold(t *testing.T) {
	desc := "Confirmation code: K7Q2MP\nSeats: F7, F8; back\\slash " + strings.Repeat("é🎬", 40)
	got, err := notify.ICS(notify.Event{UID: "u", Stamp: confirmedAt, Start: startsAt, Description: desc})
	if err != nil {
		t.Fatal(err)
	}
	unfolded := strings.ReplaceAll(string(got), "\r\n ", "")
	var value string
	for line := range strings.SplitSeq(unfolded, "\r\n") {
		if v, ok := strings.CutPrefix(line, "DESCRIPTION:"); ok {
			value = v
		}
	}
	unescaped := strings.NewReplacer(`\\`, `\`, `\;`, ";", `\,`, ",", `\n`, "\n").Replace(value)
	if unescaped != desc {
		t.Errorf("unfolded DESCRIPTION = %q, want %q", unescaped, desc)
	}
	if !strings.Contains(unfolded, "DTEND:20260315T013000Z\r\n") {
		t.Errorf("a zero End should give a two-hour event:\n%s", unfolded)
	}
}

func TestICSRejects(t *testing.T) {
	ok := notify.Event{UID: "u", Stamp: confirmedAt, Start: startsAt, End: endsAt}
	tests := []struct {
		name string
		f    func(*notify.Event)
	}{
		{"ErrNoUID", func(e *notify.Event) { e.UID = "" }},
		{"ErrNoStamp", func(e *notify.Event) { e.Stamp = time.Time{} }},
		{"ErrNoStart", func(e *notify.Event) { e.Start = time.Time{} }},
		{"ErrEndsBeforeStart", func(e *notify.Event) { e.End = e.Start.Add(-time.Minute) }},
		{"ErrEmpty", func(e *notify.Event) { e.End = e.Start }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ok
			tt.f(&e)
			if _, err := notify.ICS(e); err == nil {
				t.Error("ICS succeeded, want an error")
			}
		})
	}
}
