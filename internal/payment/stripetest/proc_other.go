//go:build !linux

package stripetest

import "syscall"

// sysProcAttr has no way to tie stripe-mock's life to the test binary outside Linux.
func sysProcAttr() *syscall.SysProcAttr { return nil }
