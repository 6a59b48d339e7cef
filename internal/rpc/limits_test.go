package rpc

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"github.com/marqueehq/marquee/api/marquee/v1/marqueev1connect"
)

// limitsSeats answers every seat map request, and streams three seat maps over a second (longer than the
// shortened body timeout); GetSeatMap counts the calls that reached it.
type limitsSeats struct {
	marqueev1connect.UnimplementedSeatServiceHandler
	calls int
}

func (s *limitsSeats) GetSeatMap(context.Context, *connect.Request[marqueev1.GetSeatMapRequest]) (*connect.Response[marqueev1.GetSeatMapResponse], error) {
	s.calls++
	return connect.NewResponse(&marqueev1.GetSeatMapResponse{}), nil
}

func (s *limitsSeats) WatchSeatMap(ctx context.Context, _ *connect.Request[marqueev1.WatchSeatMapRequest], stream *connect.ServerStream[marqueev1.WatchSeatMapResponse]) error {
	for i := range 3 {
		if err := stream.Send(&marqueev1.WatchSeatMapResponse{Version: uint32(i + 1)}); err != nil {
			return err
		}
		time.Sleep(400 * time.Millisecond)
	}
	return nil
}

// limitsServer serves the seat service through rpc.Listen with the API's handler options.
func limitsServer(t *testing.T) (*limitsSeats, string) {
	t.Helper()
	old := bodyReadTimeout
	bodyReadTimeout = 300 * time.Millisecond
	t.Cleanup(func() { bodyReadTimeout = old })
	h := &limitsSeats{}
	mux := http.NewServeMux()
	mux.Handle(marqueev1connect.NewSeatServiceHandler(h, connect.WithInterceptors(textInterceptor{}),
		connect.WithReadMaxBytes(MaxMessageBytes)))
	srv, err := Listen("127.0.0.1:0", mux)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(time.Second) })
	return h, srv.Addr()
}

func post(t *testing.T, url string, body []byte, gz bool) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestRequestLimits(t *testing.T) {
	h, addr := limitsServer(t)
	url := "http://" + addr + marqueev1connect.SeatServiceGetSeatMapProcedure
	if status, body := post(t, url, []byte(`{"showtimeId":"use1_x"}`), false); status != 200 {
		t.Fatalf("a small request: %d %s", status, body)
	}
	res, err := http.Post(url, "application/json", strings.NewReader(`{"showtimeId":"use1_x"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if res.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent over plain HTTP")
	}
	// 200 KB of gzip that unpacks to 200 MB: refused before it is unpacked whole, and before the handler.
	var zipped bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zipped, gzip.BestCompression)
	_, _ = zw.Write([]byte(`{"showtimeId":"`))
	chunk := bytes.Repeat([]byte("a"), 1<<20)
	for range 200 {
		_, _ = zw.Write(chunk)
	}
	_, _ = zw.Write([]byte(`"}`))
	_ = zw.Close()
	status, body := post(t, url, zipped.Bytes(), true)
	if status != http.StatusTooManyRequests || !strings.Contains(body, "resource_exhausted") {
		t.Errorf("a gzip bomb (%d bytes): %d %.200s, want resource_exhausted", zipped.Len(), status, body)
	}
	// A body over MaxBodyBytes on the wire.
	big := []byte(`{"showtimeId":"` + strings.Repeat("b", MaxBodyBytes) + `"}`)
	status, body = post(t, url, big, false)
	if status != http.StatusTooManyRequests || !strings.Contains(body, "resource_exhausted") {
		t.Errorf("a %d-byte body: %d %.200s, want resource_exhausted", len(big), status, body)
	}
	// A NUL byte, however deep, is refused as invalid_argument.
	status, body = post(t, url, []byte(`{"showtimeId":"use1_\u0000x"}`), false)
	if status != http.StatusBadRequest || !strings.Contains(body, "invalid_argument") || !strings.Contains(body, "showtime_id") {
		t.Errorf("a NUL byte: %d %s, want invalid_argument naming the field", status, body)
	}
	if h.calls != 2 {
		t.Errorf("%d calls reached the handler, want only the two good ones", h.calls)
	}
}

func TestSlowBodyIsCutOffButStreamsRunOn(t *testing.T) {
	_, addr := limitsServer(t)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
		marqueev1connect.SeatServiceGetSeatMapProcedure)
	// Trickle a byte at a time; the server must give up (answer or close) long before the 100 bytes are sent.
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _ = bufio.NewReader(conn).ReadString('\n')
	}()
	sent := 1
	for ; sent < 100; sent++ {
		select {
		case <-done:
			if sent > 40 {
				t.Errorf("cut off only after %d bytes", sent)
			}
			goto streams
		case <-time.After(100 * time.Millisecond):
			if _, err := conn.Write([]byte(" ")); err != nil {
				goto streams // closed by the server
			}
		}
	}
	t.Fatal("a body trickling in over 10 s was never cut off")
streams:
	// A server stream longer than the body timeout still delivers every message.
	client := marqueev1connect.NewSeatServiceClient(http.DefaultClient, "http://"+addr)
	stream, err := client.WatchSeatMap(context.Background(), connect.NewRequest(&marqueev1.WatchSeatMapRequest{ShowtimeId: "use1_x"}))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for stream.Receive() {
		n++
	}
	if n != 3 || stream.Err() != nil {
		t.Errorf("stream delivered %d of 3 messages (%v)", n, stream.Err())
	}
}

func TestCheckText(t *testing.T) {
	ok := &marqueev1.UpsertTheatreRequest{Theatre: &marqueev1.Theatre{Name: "Odeon\tLeicester Sq\n", Amenities: []string{"imax"}}}
	if err := checkText(ok.ProtoReflect(), ""); err != nil {
		t.Errorf("tabs and newlines: %v", err)
	}
	for _, bad := range []string{"a\x00b", "bell\x07", "del\x7f", "esc\x1b[31m"} {
		m := &marqueev1.UpsertTheatreRequest{Theatre: &marqueev1.Theatre{Name: "ok", Amenities: []string{"imax", bad}}}
		err := checkText(m.ProtoReflect(), "")
		if connect.CodeOf(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), "theatre.amenities[1]") {
			t.Errorf("%q: %v, want invalid_argument naming theatre.amenities[1]", bad, err)
		}
	}
}

func TestReflectionOnlyWhenAsked(t *testing.T) {
	for _, on := range []bool{false, true} {
		mux := NewMux(Services{Reflection: on}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		req, _ := http.NewRequest(http.MethodPost, "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", strings.NewReader(""))
		req.Header.Set("Content-Type", "application/grpc")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if got := rec.Code != http.StatusNotFound; got != on {
			t.Errorf("Reflection %v: status %d", on, rec.Code)
		}
	}
}
