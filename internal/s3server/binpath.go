package s3server

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

// Install installs versitygw Version into dir with `go install` and returns its path. It installs into a fresh
// directory first and renames the result into place, so test binaries of several packages installing at
// once never run a half-written file.
func Install(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("s3server: installing versitygw: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, ".versitygw-")
	if err != nil {
		return "", fmt.Errorf("s3server: installing versitygw: %w", err)
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("go", "install", ModulePath+"@"+Version)
	cmd.Env = append(os.Environ(), "GOBIN="+tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("s3server: go install %s@%s: %w\n%s", ModulePath, Version, err, out)
	}
	bin := filepath.Join(dir, "versitygw")
	if err := os.Rename(filepath.Join(tmp, "versitygw"), bin); err != nil {
		return "", fmt.Errorf("s3server: installing versitygw: %w", err)
	}
	return bin, nil
}

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
			return "", errors.New("s3server: no go.mod above the working directory")
		}
		dir = parent
	}
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode().Perm()&0o111 != 0
}
