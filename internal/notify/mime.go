package notify

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// MIME renders m as an RFC 5322 email from the address from, dated date, with the Message-ID <messageID>.
// The body is multipart/mixed: first the text and HTML as multipart/alternative (wrapped, with the inline
// attachments, in multipart/related when there are any, so cid: references resolve), then the other
// attachments. Text is quoted-printable UTF-8, attachments base64, header words RFC 2047-encoded, every line
// CRLF-terminated. Addresses that do not parse, and header values with line breaks, are errors.
func MIME(from string, m Message, date time.Time, messageID string) ([]byte, error) {
	fromAddr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("from address %q: %w", from, err)
	}
	toAddr, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("to address %q: %w", m.To, err)
	}
	if strings.ContainsAny(messageID, "<>\r\n \t") || messageID == "" {
		return nil, fmt.Errorf("message ID %q is not a bare id-left@id-right", messageID)
	}
	var b bytes.Buffer
	mixed := multipart.NewWriter(&b)
	writeHeader(&b, "From", fromAddr.String())
	writeHeader(&b, "To", toAddr.String())
	writeHeader(&b, "Subject", mime.QEncoding.Encode("utf-8", oneLine(m.Subject)))
	writeHeader(&b, "Date", date.Format(time.RFC1123Z))
	writeHeader(&b, "Message-ID", "<"+messageID+">")
	writeHeader(&b, "MIME-Version", "1.0")
	writeHeader(&b, "Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": mixed.Boundary()}))
	b.WriteString("\r\n")
	if err := writeBody(mixed, m); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeBody writes the parts of m into mixed and closes it.
func writeBody(mixed *multipart.Writer, m Message) error {
	var inline, attached []Attachment
	for _, a := range m.Attachments {
		if a.ContentID != "" {
			inline = append(inline, a)
		} else {
			attached = append(attached, a)
		}
	}
	bodyParent := mixed
	if len(inline) > 0 {
		related, err := nested(mixed, "multipart/related", map[string]string{"type": "multipart/alternative"})
		if err != nil {
			return err
		}
		bodyParent = related
	}
	if err := writeAlternative(bodyParent, m); err != nil {
		return err
	}
	if err := writeAttachments(bodyParent, inline); err != nil {
		return err
	}
	if bodyParent != mixed {
		if err := bodyParent.Close(); err != nil {
			return err
		}
	}
	if err := writeAttachments(mixed, attached); err != nil {
		return err
	}
	return mixed.Close()
}

// writeAlternative writes m's text and HTML as a multipart/alternative part of parent, plain text first as
// RFC 2046 asks (the last part is the preferred one). Without HTML it writes the text part alone.
func writeAlternative(parent *multipart.Writer, m Message) error {
	if m.HTML == "" {
		return writeText(parent, "text/plain", m.Text)
	}
	alt, err := nested(parent, "multipart/alternative", nil)
	if err != nil {
		return err
	}
	if err := writeText(alt, "text/plain", m.Text); err != nil {
		return err
	}
	if err := writeText(alt, "text/html", m.HTML); err != nil {
		return err
	}
	return alt.Close()
}

func writeAttachments(parent *multipart.Writer, as []Attachment) error {
	for _, a := range as {
		if err := writeAttachment(parent, a); err != nil {
			return err
		}
	}
	return nil
}

// nested adds a multipart part of type mediaType to parent and returns the writer of its own parts.
func nested(parent *multipart.Writer, mediaType string, params map[string]string) (*multipart.Writer, error) {
	boundary := multipart.NewWriter(nil).Boundary()
	if params == nil {
		params = map[string]string{}
	}
	params["boundary"] = boundary
	pw, err := parent.CreatePart(textproto.MIMEHeader{"Content-Type": {mime.FormatMediaType(mediaType, params)}})
	if err != nil {
		return nil, err
	}
	w := multipart.NewWriter(pw)
	return w, w.SetBoundary(boundary)
}

// writeText adds a quoted-printable UTF-8 part of type mediaType holding body, its line breaks made CRLF.
func writeText(parent *multipart.Writer, mediaType, body string) error {
	pw, err := parent.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {mediaType + "; charset=utf-8"},
		"Content-Transfer-Encoding": {"quoted-printable"},
	})
	if err != nil {
		return err
	}
	qp := quotedprintable.NewWriter(pw)
	if _, err := qp.Write([]byte(body)); err != nil {
		return err
	}
	return qp.Close()
}

// writeAttachment adds a as a base64 part: inline with its Content-ID when it has one, an attachment otherwise.
func writeAttachment(parent *multipart.Writer, a Attachment) error {
	mediaType, params, err := mime.ParseMediaType(a.ContentType)
	if err != nil {
		return fmt.Errorf("attachment %q: content type %q: %w", a.Filename, a.ContentType, err)
	}
	if a.Filename == "" || strings.ContainsAny(a.Filename, "\r\n") {
		return fmt.Errorf("attachment: filename %q is empty or has a line break", a.Filename)
	}
	params["name"] = a.Filename
	disposition := "attachment"
	h := textproto.MIMEHeader{"Content-Type": {mime.FormatMediaType(mediaType, params)}, "Content-Transfer-Encoding": {"base64"}}
	if a.ContentID != "" {
		if strings.ContainsAny(a.ContentID, "<>\r\n \t") {
			return fmt.Errorf("attachment %q: Content-ID %q must be a bare id", a.Filename, a.ContentID)
		}
		disposition = "inline"
		h["Content-ID"] = []string{"<" + a.ContentID + ">"}
	}
	h["Content-Disposition"] = []string{mime.FormatMediaType(disposition, map[string]string{"filename": a.Filename})}
	if h.Get("Content-Type") == "" || h.Get("Content-Disposition") == "" {
		return errors.New("attachment: cannot format the headers of " + a.Filename)
	}
	pw, err := parent.CreatePart(h)
	if err != nil {
		return err
	}
	return writeBase64(pw, a.Data)
}

// writeBase64 writes data in base64 lines of 76 characters, as RFC 2045 requires.
func writeBase64(w io.Writer, data []byte) error {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 0 {
		n := min(76, len(enc))
		if _, err := w.Write([]byte(enc[:n] + "\r\n")); err != nil {
			return err
		}
		enc = enc[n:]
	}
	return nil
}

// writeHeader writes "name: value" folded before spaces so lines stay within 78 characters where the value
// allows, and a word longer than that (an RFC 2047 encoded word can be 75) gets a line of its own (RFC 5322
// section 2.2.3). Line breaks in value are replaced by spaces: a header cannot inject another.
func writeHeader(b *bytes.Buffer, name, value string) {
	value = strings.NewReplacer("\r", " ", "\n", " ").Replace(value)
	line, first := name+": "+value, len(name)+1 // the first fold may come right after the colon
	for len(line) > 78 {
		cut := strings.LastIndexByte(line[:78], ' ')
		if cut < first { // a word longer than the line: fold after it instead
			next := strings.IndexByte(line[first:], ' ')
			if next < 0 {
				break
			}
			cut = first + next
		}
		b.WriteString(line[:cut] + "\r\n")
		line, first = line[cut:], 1
	}
	b.WriteString(line + "\r\n")
}
