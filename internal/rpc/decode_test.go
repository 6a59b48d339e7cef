package rpc_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestDecodeErrorsShowNoInternals: bodies that do not decode get invalid_argument with a message in plain
// words, never Go or protobuf internals (type names, package paths, decoder prefixes).
func TestDecodeErrorsShowNoInternals(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ name, ctype, body string }{
		{"WrongType", "application/json", `{"showtimeId": 5}`},
		{"NotJSON", "application/json", `{"showtimeId": `},
		{"Empty", "application/json", ``},
		{"TruncatedProto", "application/proto", "\x0a\x10abc"},
		{"BadWireType", "application/proto", "\x0f\x01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := http.Post(e.url+"/marquee.v1.SeatService/GetSeatMap", tc.ctype, bytes.NewReader([]byte(tc.body)))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			var got struct{ Code, Message string }
			_ = json.Unmarshal(raw, &got) // Connect's unary errors are JSON whatever the codec
			if got.Code != "invalid_argument" {
				t.Fatalf("HTTP %d %s, want invalid_argument", res.StatusCode, raw)
			}
			for _, leak := range []string{"proto:", "json:", "marquee.v1", "*v1.", "protojson", "syntax error", "Request"} {
				if strings.Contains(got.Message, leak) {
					t.Errorf("message %q shows %q", got.Message, leak)
				}
			}
		})
	}
}
