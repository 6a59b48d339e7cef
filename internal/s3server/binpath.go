package s3server

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/marqueehq/marquee/internal/gotool"
)

// BinPath finds the versitygw executable: $VERSITYGW when set, else bin/versitygw under the module root (the
// directory holding go.mod, found by walking up from the working directory, since tests run in their
// package's directory), else versitygw next to this executable, else versitygw on the PATH.
func BinPath() (string, error) {
	if p := os.Getenv("VERSITYGW"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("s3server: $VERSITYGW: %w", err)
		}
		return p, nil
	}
	var tried []string
	if root, err := ModuleRoot(); err == nil {
		tried = append(tried, filepath.Join(root, "bin", "versitygw"))
	}
	if exe, err := os.Executable(); err == nil {
		tried = append(tried, filepath.Join(filepath.Dir(exe), "versitygw"))
	}
	for _, p := range tried {
		if isExecutable(p) {
			return p, nil
		}
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%w (looked at %v and the PATH)", ErrNoBinary, tried)
}

// ErrNoBinary is returned by BinPath when versitygw is nowhere to be found.
var ErrNoBinary = errors.New("s3server: versitygw not found: run `make tools` (it installs " + ModulePath + "@" +
	Version + " into bin/), or set $VERSITYGW")

// Install installs versitygw Version into dir with `go install` and returns its path.
func Install(dir string) (string, error) {
	return gotool.Install(ModulePath, Version, "versitygw", dir)
}

// ModuleRoot walks up from the working directory to the directory holding go.mod.
func ModuleRoot() (string, error) { return gotool.ModuleRoot() }

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode().Perm()&0o111 != 0
}
