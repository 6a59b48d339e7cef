package stripetest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/marqueehq/marquee/internal/payment/stripetest"
)

// Without Run in TestMain, Start gives each test its own stripe-mock and stops it when the test ends.
func TestStartPrivate(t *testing.T) {
	var url string
	t.Run("Start", func(t *testing.T) {
		url = stripetest.Start(t)
		req, _ := http.NewRequest(http.MethodGet, url+"/v1/balance", nil)
		req.SetBasicAuth(stripetest.Key, "")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Stripe-Mock-Version") == "" {
			t.Errorf("GET /v1/balance: status %d, headers %v; want 200 from stripe-mock", resp.StatusCode, resp.Header)
		}
	})
	c := &http.Client{Timeout: time.Second}
	if resp, err := c.Get(url + "/v1/balance"); err == nil {
		resp.Body.Close()
		t.Errorf("stripe-mock still answers at %s after its test ended", url)
	}
}
