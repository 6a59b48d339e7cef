package notify

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// Event is a calendar entry for a showtime.
type Event struct {
	UID         string    // globally unique and stable: a resent entry with the same UID updates the first
	Stamp       time.Time // when the entry was made (DTSTAMP)
	Start, End  time.Time
	Summary     string // the title, for example the movie
	Location    string // the theatre's name and address
	Description string // free text; the confirmation code belongs here
	URL         string // optional: where to manage the booking
}

// ICS renders e as an RFC 5545 iCalendar object: one VCALENDAR (METHOD:PUBLISH) holding one VEVENT, times in
// UTC, CRLF line endings, text escaped and lines folded at 75 octets without splitting a UTF-8 character. It
// is an error when e has no UID, Stamp or Start, or ends before it starts; a zero End means a two-hour event.
func ICS(e Event) ([]byte, error) {
	switch {
	case e.UID == "":
		return nil, errors.New("ics: no UID")
	case e.Stamp.IsZero() || e.Start.IsZero():
		return nil, errors.New("ics: no DTSTAMP or DTSTART")
	case e.End.IsZero():
		e.End = e.Start.Add(2 * time.Hour)
	case !e.End.After(e.Start):
		return nil, errors.New("ics: the event ends before it starts")
	}
	var b strings.Builder
	add := func(name, value string) { fold(&b, name+":"+value) }
	add("BEGIN", "VCALENDAR")
	add("VERSION", "2.0")
	add("PRODID", "-//Marquee//Tickets//EN")
	add("CALSCALE", "GREGORIAN")
	add("METHOD", "PUBLISH")
	add("BEGIN", "VEVENT")
	add("UID", escapeText(e.UID))
	add("DTSTAMP", icsTime(e.Stamp))
	add("DTSTART", icsTime(e.Start))
	add("DTEND", icsTime(e.End))
	add("SUMMARY", escapeText(e.Summary))
	if e.Location != "" {
		add("LOCATION", escapeText(e.Location))
	}
	if e.Description != "" {
		add("DESCRIPTION", escapeText(e.Description))
	}
	if e.URL != "" {
		add("URL", strings.NewReplacer("\r", "", "\n", "").Replace(e.URL)) // a URI, not TEXT: not escaped
	}
	add("STATUS", "CONFIRMED")
	add("TRANSP", "OPAQUE")
	add("END", "VEVENT")
	add("END", "VCALENDAR")
	return []byte(b.String()), nil
}

// icsTime writes t as an RFC 5545 UTC DATE-TIME, whole seconds: 20260314T233000Z.
func icsTime(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// escapeText escapes an RFC 5545 TEXT value: backslash, semicolon and comma get a backslash; every line
// break (CRLF, CR or LF) becomes \n.
var textEscaper = strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\r", `\n`, "\n", `\n`)

func escapeText(s string) string { return textEscaper.Replace(s) }

// fold writes line to b ending in CRLF, folded (RFC 5545 section 3.1) so no physical line exceeds 75 octets:
// each continuation starts with a space, which counts toward its 75. A fold never splits a UTF-8 sequence.
func fold(b *strings.Builder, line string) {
	limit := 75
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		b.WriteString(line[:cut] + "\r\n ")
		line = line[cut:]
		limit = 74
	}
	b.WriteString(line + "\r\n")
}
