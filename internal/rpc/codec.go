package rpc

import (
	"errors"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// codecs are Connect's protobuf and JSON codecs with one change: a body that does not decode is refused in
// plain words, without the Go type and decoder internals (connect's own say "unmarshal into
// *marqueev1.GetSeatMapRequest: proto: ..."). JSON ignores unknown fields, as connect's does.
func codecs() []connect.HandlerOption {
	return []connect.HandlerOption{connect.WithCodec(plainCodec{name: "proto", binary: true}),
		connect.WithCodec(plainCodec{name: "json"}), connect.WithCodec(plainCodec{name: "json; charset=utf-8"})}
}

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

// MarshalAppend encodes message after dst.
func (c plainCodec) MarshalAppend(dst []byte, message any) ([]byte, error) {
	m, ok := message.(proto.Message)
	if !ok {
		return nil, errNotMessage
	}
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
