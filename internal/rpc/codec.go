package rpc

import (
	"compress/gzip"
	"errors"
	"io"
	"sync"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// codecs are Connect's protobuf and JSON codecs with one change: a body that does not decode is refused in
// plain words, without the Go type and decoder internals (connect's own say "unmarshal into
// *marqueev1.GetSeatMapRequest: proto: ..."). JSON ignores unknown fields, as connect's does.
func codecs() []connect.HandlerOption {
	return []connect.HandlerOption{connect.WithCodec(plainCodec{name: codecNames[0], binary: true}),
		connect.WithCodec(plainCodec{name: codecNames[1]}), connect.WithCodec(plainCodec{name: codecNames[2]})}
}

// Shared answers are messages many calls answer with, unchanged (a seat map's GetSeatMap answer): the codecs
// encode each once per format and keep the bytes until unshare.
var (
	sharedAnswers sync.Map // proto.Message -> struct{}
	encoded       sync.Map // encodedKey -> []byte
)

// encodedKey is a shared answer in one codec's format.
type encodedKey struct {
	m     proto.Message
	codec string
}

// share marks m as a shared answer: it must not be modified afterwards.
func share(m proto.Message) { sharedAnswers.Store(m, struct{}{}) }

// unshare forgets m and its encodings.
func unshare(m proto.Message) {
	sharedAnswers.Delete(m)
	for _, name := range codecNames {
		encoded.Delete(encodedKey{m, name})
	}
}

// codecNames are the names of the codecs codecs returns.
var codecNames = []string{"proto", "json", "json; charset=utf-8"}

// compression is gzip at its fastest level for answers of at least compressMinBytes: the default level took
// a third of the CPU of serving seat maps, and small answers are not worth compressing.
func compression() []connect.HandlerOption {
	return []connect.HandlerOption{
		connect.WithCompression("gzip",
			func() connect.Decompressor { return &gzip.Reader{} },
			func() connect.Compressor {
				w, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed) // a valid level: no error
				return w
			}),
		connect.WithCompressMinBytes(compressMinBytes),
	}
}

// compressMinBytes is the size from which answers are compressed when the client accepts it.
const compressMinBytes = 1024

// plainCodec encodes protobuf messages in the binary or the JSON format.
type plainCodec struct {
	name   string
	binary bool
}

var (
	errNotMessage = errors.New("not a protobuf message")
	errBadBinary  = errors.New("the request body is not a valid protobuf message for this method")
	errBadJSON    = errors.New("the request body is not a valid JSON message for this method")
)

// Name is the codec's name in content types.
func (c plainCodec) Name() string { return c.name }

// IsBinary reports whether the codec writes the binary format.
func (c plainCodec) IsBinary() bool { return c.binary }

// Marshal encodes message.
func (c plainCodec) Marshal(message any) ([]byte, error) { return c.MarshalAppend(nil, message) }

// MarshalAppend encodes message after dst; a shared answer is encoded once per codec.
func (c plainCodec) MarshalAppend(dst []byte, message any) ([]byte, error) {
	m, ok := message.(proto.Message)
	if !ok {
		return nil, errNotMessage
	}
	if _, ok := sharedAnswers.Load(m); ok {
		k := encodedKey{m, c.name}
		if b, ok := encoded.Load(k); ok {
			return append(dst, b.([]byte)...), nil
		}
		b, err := c.encode(nil, m)
		if err != nil {
			return nil, err
		}
		encoded.Store(k, b)
		return append(dst, b...), nil
	}
	return c.encode(dst, m)
}

// encode encodes m after dst in the codec's format.
func (c plainCodec) encode(dst []byte, m proto.Message) ([]byte, error) {
	if c.binary {
		return proto.MarshalOptions{}.MarshalAppend(dst, m)
	}
	return protojson.MarshalOptions{}.MarshalAppend(dst, m)
}

// Unmarshal decodes data into message; any failure is errBadBinary or errBadJSON.
func (c plainCodec) Unmarshal(data []byte, message any) error {
	m, ok := message.(proto.Message)
	if !ok {
		return errNotMessage
	}
	if c.binary {
		if proto.Unmarshal(data, m) != nil {
			return errBadBinary
		}
		return nil
	}
	if len(data) == 0 || (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, m) != nil {
		return errBadJSON
	}
	return nil
}
