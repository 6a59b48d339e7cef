package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/marqueehq/marquee/internal/notify"
)

// mailbox is the development email channel: instead of an SMTP server it writes each message, as the MIME
// an SMTP server would receive, to a .eml file in a folder, where any mail client can open it. `marquee dev`
// uses it when no --smtp-addr is given.
type mailbox struct {
	dir, from string
	now       func() time.Time
}

// Send writes msg as an .eml file named after its delivery.
func (m mailbox) Send(ctx context.Context, msg notify.Message) error {
	id := notify.DeliveryIDFrom(ctx)
	if id == "" {
		id = m.now().Format("20060102T150405.000000000")
	}
	data, err := notify.MIME(m.from, msg, m.now(), strings.ReplaceAll(id, "/", ".")+"@marquee.local")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(m.dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(m.dir, strings.ReplaceAll(id, "/", "_")+".eml"), data, 0o644)
}
