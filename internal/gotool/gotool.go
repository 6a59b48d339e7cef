// Package gotool finds and installs the pinned Go programs the tests and `marquee dev` run (stripe-mock,
// versitygw) in the module's bin/, and keeps the tail of a child process's output for error messages.
package gotool

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// ModuleRoot walks up from the working directory to the directory holding go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("gotool: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Install runs `go install module@version` into a fresh directory under dir and renames the program name
// into dir, so test binaries of several packages installing at once never run a half-written file. It returns
// the program's path.
func Install(module, version, name, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("gotool: installing %s: %w", name, err)
	}
	tmp, err := os.MkdirTemp(dir, "."+name+"-")
	if err != nil {
		return "", fmt.Errorf("gotool: installing %s: %w", name, err)
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("go", "install", module+"@"+version)
	cmd.Env = append(os.Environ(), "GOBIN="+tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("gotool: go install %s@%s: %w\n%s", module, version, err, out)
	}
	bin := filepath.Join(dir, name)
	if err := os.Rename(filepath.Join(tmp, name), bin); err != nil {
		return "", fmt.Errorf("gotool: installing %s: %w", name, err)
	}
	return bin, nil
}

// Tail keeps the last Max bytes written to it, for error messages about a child process.
type Tail struct {
	Max int
	mu  sync.Mutex
	b   []byte
}

// Write keeps the tail of what is written.
func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.Max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

// String returns the tail, trimmed of surrounding space.
func (t *Tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.b))
}
