package platform

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
)

// SecretSize is the size of generated secrets and the least a configured one may have.
const SecretSize = 32

// Secret returns configured when it is set (it must be at least SecretSize bytes), else the secret kept in the
// file at path, generating and writing one (mode 0600) the first time. `marquee dev` keeps its token secret so.
func Secret(configured, path string) ([]byte, error) {
	if configured != "" {
		if len(configured) < SecretSize {
			return nil, fmt.Errorf("a configured secret must be at least %d bytes", SecretSize)
		}
		return []byte(configured), nil
	}
	if b, err := os.ReadFile(path); err == nil && len(b) >= SecretSize {
		return b, nil
	}
	b := make([]byte, SecretSize)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	// The file is 0600; its folder may also hold a PostgreSQL cluster, whose own user must reach it.
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	return b, os.WriteFile(path, b, 0o600)
}
