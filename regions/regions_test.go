package regions

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestPrimaryIsTheMarkedRegion(t *testing.T) {
	p := Primary()
	if !p.Primary {
		t.Fatalf("Primary() = %s, which is not marked primary", p.Name)
	}
	if p.Name != "us-east1" {
		t.Fatalf("Primary() = %s, want us-east1 (the default home region of accounts, schema/00007)", p.Name)
	}
}

func TestLoadWantsExactlyOnePrimary(t *testing.T) {
	file := func(name, prefix string, primary bool) *fstest.MapFile {
		p := ""
		if primary {
			p = `, "primary": true`
		}
		return &fstest.MapFile{Data: []byte(`{"name": "` + name + `", "idPrefix": "` + prefix + `"` + p + `}`)}
	}
	for _, tc := range []struct {
		name     string
		fsys     fstest.MapFS
		wantErrs string
	}{
		{"OK", fstest.MapFS{"a.json": file("a", "a", true), "b.json": file("b", "b", false)}, ""},
		{"ErrNoPrimary", fstest.MapFS{"a.json": file("a", "a", false), "b.json": file("b", "b", false)}, "0 regions are marked primary"},
		{"ErrTwoPrimaries", fstest.MapFS{"a.json": file("a", "a", true), "b.json": file("b", "b", true)}, "2 regions are marked primary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(tc.fsys)
			if tc.wantErrs == "" && err != nil {
				t.Fatalf("load: %v", err)
			}
			if tc.wantErrs != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErrs)) {
				t.Fatalf("load error = %v, want one containing %q", err, tc.wantErrs)
			}
		})
	}
}
