package edge

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
)

// Kind is how a rule picks a call's region.
type Kind int

// The ways of routing a call, one per case of the marquee.v1.Route option.
const (
	ByID       Kind = iota + 1 // the region prefix of an ID in a field of the request
	ByHome                     // the caller's home region
	ByLocation                 // the region nearest a location
	Global                     // any region
	ByRegion                   // the region named in a field of the request
)

// String names the kind: "id", "home", "location", "global" or "region".
func (k Kind) String() string {
	return [...]string{"unset", "id", "home", "location", "global", "region"}[k]
}

// Rule is how calls of one procedure are routed, compiled from its request message's route option.
type Rule struct {
	Procedure string // "/marquee.v1.SeatService/GetSeatMap"
	Method    protoreflect.MethodDescriptor
	Kind      Kind
	// Path leads to the routing field: with ByID and ByRegion a string field, with ByLocation a location message
	// (empty when the request has none). Every step but the last is a singular message field.
	Path []protoreflect.FieldDescriptor
	// Optional (ByID, ByRegion): an empty field routes the call as Global.
	Optional bool
	// CacheTTL is how long the edge keeps a successful unary answer; 0 never caches.
	CacheTTL time.Duration
	msgType  protoreflect.MessageType
}

// Streaming reports whether the client may send more than one message.
func (r *Rule) Streaming() bool { return r.Method.IsStreamingClient() }

// Stream reports whether calls of the rule's method are streams (of requests, answers or both), which may stay
// open for as long as the client watches: the edge ends them when it shuts down.
func (r *Rule) Stream() bool { return r.Method.IsStreamingClient() || r.Method.IsStreamingServer() }

// pathName is the dotted path of the routing field, for example "theatre.id".
func (r *Rule) pathName() string {
	names := make([]string, len(r.Path))
	for i, fd := range r.Path {
		names[i] = string(fd.Name())
	}
	return strings.Join(names, ".")
}

// newRequest returns an empty request message to decode into: the generated type when it is linked in, else a
// dynamic message built from the descriptor.
func (r *Rule) newRequest() protoreflect.Message { return r.msgType.New() }

// APIFiles returns the files of Marquee's API (packages marquee.*) registered in protoregistry.GlobalFiles by
// the generated api/ packages.
func APIFiles() []protoreflect.FileDescriptor {
	_ = marqueev1.File_marquee_v1_routing_proto // the generated API registers itself on import
	var files []protoreflect.FileDescriptor
	protoregistry.GlobalFiles.RangeFiles(func(f protoreflect.FileDescriptor) bool {
		if strings.HasPrefix(string(f.Package()), "marquee.") {
			files = append(files, f)
		}
		return true
	})
	return files
}

// Rules compiles the routing rule of every method of every service in files, keyed by procedure path. It
// fails, naming each problem, when a request message has no route option or its option names a field the
// message does not have or one of the wrong type.
func Rules(files []protoreflect.FileDescriptor) (map[string]*Rule, error) {
	rules := map[string]*Rule{}
	var errs []error
	for _, f := range files {
		for i := range f.Services().Len() {
			s := f.Services().Get(i)
			for j := range s.Methods().Len() {
				m := s.Methods().Get(j)
				r, err := compile(m)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", m.FullName(), err))
					continue
				}
				rules[r.Procedure] = r
			}
		}
	}
	return rules, errors.Join(errs...)
}

// compile reads the route option of m's input message.
func compile(m protoreflect.MethodDescriptor) (*Rule, error) {
	in := m.Input()
	opt, ok := proto.GetExtension(in.Options(), marqueev1.E_Route).(*marqueev1.Route)
	if !ok || opt == nil || opt.By == nil {
		return nil, fmt.Errorf("request %s has no (marquee.v1.route) option", in.FullName())
	}
	r := &Rule{Procedure: "/" + string(m.Parent().FullName()) + "/" + string(m.Name()), Method: m,
		Optional: opt.GetIdOptional(), CacheTTL: opt.GetEdgeCacheTtl().AsDuration(), msgType: messageType(in)}
	var err error
	switch by := opt.By.(type) {
	case *marqueev1.Route_IdField:
		r.Kind = ByID
		r.Path, err = fieldPath(in, by.IdField, isString)
	case *marqueev1.Route_Home_:
		r.Kind = ByHome
	case *marqueev1.Route_Nearest_:
		r.Kind = ByLocation
		if name := by.Nearest.GetLocationField(); name != "" {
			r.Path, err = fieldPath(in, name, isLocation)
		}
	case *marqueev1.Route_Global_:
		r.Kind = Global
	case *marqueev1.Route_RegionField:
		r.Kind = ByRegion
		r.Path, err = fieldPath(in, by.RegionField, isString)
	}
	if err != nil {
		return nil, err
	}
	return r, checkOptions(r, opt)
}

// checkOptions refuses options that do not fit the rule: id_optional without id_field or region_field, and a
// cache TTL on a method with side effects or a streaming one.
func checkOptions(r *Rule, opt *marqueev1.Route) error {
	if r.Optional && r.Kind != ByID && r.Kind != ByRegion {
		return errors.New("id_optional is only for id_field and region_field routes")
	}
	if opt.EdgeCacheTtl == nil {
		return nil
	}
	if r.CacheTTL <= 0 {
		return fmt.Errorf("edge_cache_ttl %v is not positive", r.CacheTTL)
	}
	level := r.Method.Options().(*descriptorpb.MethodOptions).GetIdempotencyLevel()
	if level != descriptorpb.MethodOptions_NO_SIDE_EFFECTS || r.Method.IsStreamingClient() || r.Method.IsStreamingServer() {
		return errors.New("edge_cache_ttl is only for unary methods with idempotency_level NO_SIDE_EFFECTS")
	}
	return nil
}

// fieldPath resolves a dotted field path in md: every step but the last a singular message field, the last
// accepted by ok (which says what is wrong with it otherwise).
func fieldPath(md protoreflect.MessageDescriptor, path string, ok func(protoreflect.FieldDescriptor) error) ([]protoreflect.FieldDescriptor, error) {
	names := strings.Split(path, ".")
	var fds []protoreflect.FieldDescriptor
	for i, name := range names {
		fd := md.Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			return nil, fmt.Errorf("route field %q: %s has no field %q", path, md.FullName(), name)
		}
		fds = append(fds, fd)
		if i == len(names)-1 {
			break
		}
		if fd.Kind() != protoreflect.MessageKind || fd.Cardinality() == protoreflect.Repeated {
			return nil, fmt.Errorf("route field %q: %s is not a singular message field", path, fd.FullName())
		}
		md = fd.Message()
	}
	if err := ok(fds[len(fds)-1]); err != nil {
		return nil, fmt.Errorf("route field %q: %w", path, err)
	}
	return fds, nil
}

func isString(fd protoreflect.FieldDescriptor) error {
	if fd.Kind() != protoreflect.StringKind || fd.Cardinality() == protoreflect.Repeated {
		return fmt.Errorf("%s is not a singular string field", fd.FullName())
	}
	return nil
}

// isLocation accepts a singular message field with double latitude and longitude fields.
func isLocation(fd protoreflect.FieldDescriptor) error {
	if fd.Kind() != protoreflect.MessageKind || fd.IsList() || fd.IsMap() {
		return fmt.Errorf("%s is not a singular message field", fd.FullName())
	}
	for _, name := range []protoreflect.Name{"latitude", "longitude"} {
		if f := fd.Message().Fields().ByName(name); f == nil || f.Kind() != protoreflect.DoubleKind || f.IsList() {
			return fmt.Errorf("%s has no double field %s", fd.Message().FullName(), name)
		}
	}
	return nil
}

// messageType is the generated type of md when it is linked in, else a dynamic one.
func messageType(md protoreflect.MessageDescriptor) protoreflect.MessageType {
	if mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName()); err == nil && mt.Descriptor() == md {
		return mt
	}
	return dynamicpb.NewMessageType(md)
}
