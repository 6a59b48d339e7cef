package notify

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Mailbox is the development email channel: instead of an SMTP server it writes each message, as the MIME
// an SMTP server would receive, to a .eml file in Dir, where any mail client can open it. `marquee dev` uses it
// when no --smtp-addr is given.
type Mailbox struct {
	Dir, From string
	Now       func() time.Time
}

var _ Channel = Mailbox{}

// Send writes msg as an .eml file named after its delivery.
func (m Mailbox) Send(ctx context.Context, msg Message) error {
	id := DeliveryIDFrom(ctx)
	if id == "" {
		id = m.Now().Format("20060102T150405.000000000")
	}
	data, err := MIME(m.From, msg, m.Now(), strings.ReplaceAll(id, "/", ".")+"@marquee.local")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(m.Dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(m.Dir, strings.ReplaceAll(id, "/", "_")+".eml"), data, 0o644)
}
