package stripetest

import "syscall"

// sysProcAttr asks the kernel to kill stripe-mock if the test binary dies without stopping it (a panic, a
// -timeout, a SIGKILL).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
