package gotool

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTailKeepsTheEnd(t *testing.T) {
	tl := &Tail{Max: 5}
	for _, s := range []string{"hello ", "wor", "ld\n"} {
		if n, err := tl.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got := tl.String(); got != "orld" {
		t.Errorf("tail %q, want %q", got, "orld")
	}
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Errorf("%s has no go.mod: %v", root, err)
	}
	if filepath.Base(root) == "gotool" {
		t.Errorf("ModuleRoot = %s, the package dir", root)
	}
}
