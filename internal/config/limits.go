package config

import (
	"flag"
	"fmt"
	"net/netip"
	"strings"

	"github.com/marqueehq/marquee/internal/rpc"
)

// limitFlags adds --rate-limit CLASS=PER_MINUTE:BURST and --trusted-proxy CIDR, both repeatable.
func (c *Config) limitFlags(fs *flag.FlagSet) {
	fs.Func("rate-limit", "override one rate limit, per client IP and per user: CLASS=PER_MINUTE:BURST (classes "+
		"login, register, hold, booking, promo, standby; 0:0 turns one off); repeatable", func(s string) error {
		class, v, ok := strings.Cut(s, "=")
		if !ok {
			return fmt.Errorf("want CLASS=PER_MINUTE:BURST, got %q", s)
		}
		if _, known := rpc.DefaultRateLimits().Classes[rpc.LimitClass(class)]; !known {
			return fmt.Errorf("unknown rate limit class %q", class)
		}
		var l rpc.Limit
		if err := l.Set(v); err != nil {
			return err
		}
		if c.RateLimits.Classes == nil {
			c.RateLimits.Classes = map[rpc.LimitClass]rpc.Limit{}
		}
		c.RateLimits.Classes[rpc.LimitClass(class)] = l
		return nil
	})
	defaultProxies := true
	fs.Func("trusted-proxy", "a peer network (CIDR) whose X-Forwarded-For names the client, such as the edge's; "+
		"repeatable; default loopback", func(s string) error {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return err
		}
		if defaultProxies {
			c.RateLimits.TrustedProxies, defaultProxies = nil, false
		}
		c.RateLimits.TrustedProxies = append(c.RateLimits.TrustedProxies, p.Masked())
		return nil
	})
}
