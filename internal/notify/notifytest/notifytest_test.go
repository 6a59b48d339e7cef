package notifytest_test

import (
	"testing"

	"github.com/marqueehq/marquee/internal/notify"
	"github.com/marqueehq/marquee/internal/notify/notifytest"
)

func TestMemoryLog(t *testing.T) {
	notifytest.TestDeliveryLog(t, func(*testing.T) notify.DeliveryLog { return notifytest.NewMemoryLog() })
}
