// Command validateproto writes protovalidate's buf/validate/validate.proto, rebuilt from the descriptor compiled
// into its Go module, because the Buf Schema Registry that normally serves it cannot be reached from here.
//
// Usage: go run ./internal/tools/validateproto third_party/protovalidate
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"github.com/jhump/protoreflect/v2/protoprint"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: validateproto OUTDIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "validateproto:", err)
		os.Exit(1)
	}
}

func run(outDir string) error {
	fd := validate.File_buf_validate_validate_proto
	path := filepath.Join(outDir, fd.Path())
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := (&protoprint.Printer{}).PrintProtoFile(fd, f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
