package edge

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/durationpb"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
)

// TestEveryRPCHasARoutingRule walks every service of the generated API and fails for an RPC whose request has
// no route option, or whose option names a field the request does not have or one of the wrong type.
func TestEveryRPCHasARoutingRule(t *testing.T) {
	files := APIFiles()
	rules, err := Rules(files)
	if err != nil {
		t.Fatalf("routing rules:\n%v", err)
	}
	methods := 0
	for _, f := range files {
		for i := range f.Services().Len() {
			s := f.Services().Get(i)
			for j := range s.Methods().Len() {
				methods++
				if p := "/" + string(s.FullName()) + "/" + string(s.Methods().Get(j).Name()); rules[p] == nil {
					t.Errorf("%s has no routing rule", p)
				}
			}
		}
	}
	if methods < 40 || len(rules) != methods {
		t.Fatalf("%d rules for %d methods", len(rules), methods)
	}
}

// TestRoutingRulesOfSomeRPCs pins a few rules of each kind.
func TestRoutingRulesOfSomeRPCs(t *testing.T) {
	rules, err := Rules(APIFiles())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range []string{"SeatService/GetSeatMap", "BookingService/CreateBooking", "AdminService/UpsertTheatre",
		"BookingService/ListMyBookings", "SearchService/SearchTheatres", "CatalogService/ListCities",
		"AccountService/Login", "AdminService/ReindexSearch", "ComplianceService/SearchBookings",
		"ComplianceService/LookupBooking", "AdminService/SetAuditorRegions", "AccountService/EraseMyData"} {
		r := rules["/marquee.v1."+p]
		got[p] = describe(r)
	}
	want := map[string]string{
		"SeatService/GetSeatMap":        "id showtime_id cache 1s",
		"BookingService/CreateBooking":  "id hold_id",
		"AdminService/UpsertTheatre":    "id theatre.id optional",
		"BookingService/ListMyBookings": "home",
		"SearchService/SearchTheatres":  "location near cache 5s",
		"CatalogService/ListCities":     "location cache 30s",
		"AccountService/Login":          "global",
		"AdminService/ReindexSearch":    "global",

		"ComplianceService/SearchBookings": "region region",
		"ComplianceService/LookupBooking":  "region region optional",
		"AdminService/SetAuditorRegions":   "global",
		"AccountService/EraseMyData":       "home",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rules mismatch (-want +got):\n%s", diff)
	}
}

func describe(r *Rule) string {
	s := []string{r.Kind.String()}
	if len(r.Path) > 0 {
		s = append(s, r.pathName())
	}
	if r.Optional {
		s = append(s, "optional")
	}
	if r.CacheTTL > 0 {
		s = append(s, "cache", r.CacheTTL.String())
	}
	return strings.Join(s, " ")
}

// TestRulesRefuseBadOptions compiles a made-up API whose options are wrong in each way the check must catch.
func TestRulesRefuseBadOptions(t *testing.T) {
	id := func(f string) *marqueev1.Route { return &marqueev1.Route{By: &marqueev1.Route_IdField{IdField: f}} }
	near := func(f string) *marqueev1.Route {
		return &marqueev1.Route{By: &marqueev1.Route_Nearest_{Nearest: &marqueev1.Route_Nearest{LocationField: f}}}
	}
	region := func(f string, optional bool) *marqueev1.Route {
		return &marqueev1.Route{By: &marqueev1.Route_RegionField{RegionField: f}, IdOptional: optional}
	}
	global := &marqueev1.Route{By: &marqueev1.Route_Global_{Global: &marqueev1.Route_Global{}}}
	cached := proto.Clone(global).(*marqueev1.Route)
	cached.EdgeCacheTtl = durationpb.New(time.Second)
	optionalHome := &marqueev1.Route{By: &marqueev1.Route_Home_{Home: &marqueev1.Route_Home{}}, IdOptional: true}
	for _, tc := range []struct {
		name  string
		route *marqueev1.Route // nil: no option
		want  string
	}{
		{"OK", id("ref.id"), ""},
		{"OKLocation", near("at"), ""},
		{"OKRegion", region("ref.id", false), ""},
		{"OKRegionOptional", region("ref.id", true), ""},
		{"RegionNoSuchField", region("region", false), `has no field "region"`},
		{"RegionNotString", region("count", false), "count is not a singular string field"},
		{"RegionRepeated", region("ids", true), "ids is not a singular string field"},
		{"NoOption", nil, "has no (marquee.v1.route) option"},
		{"NoSuchField", id("showtime_id"), `has no field "showtime_id"`},
		{"NotString", id("count"), "count is not a singular string field"},
		{"Repeated", id("ids"), "ids is not a singular string field"},
		{"ThroughScalar", id("count.id"), "count is not a singular message field"},
		{"NoSuchNested", id("ref.nope"), `has no field "nope"`},
		{"LocationNotMessage", near("count"), "count is not a singular message field"},
		{"LocationNotGeo", near("ref"), "has no double field latitude"},
		{"CacheWithSideEffects", cached, "edge_cache_ttl is only for unary methods with idempotency_level NO_SIDE_EFFECTS"},
		{"OptionalWithoutID", optionalHome, "id_optional is only for id_field and region_field routes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Rules([]protoreflect.FileDescriptor{madeUpAPI(t, tc.route)})
			if tc.want == "" && err != nil {
				t.Fatalf("Rules: %v", err)
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Rules error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// madeUpAPI is a file with service test.v1.S, method Do(Req) where Req has fields ref (Ref{id}), at (Point{latitude, longitude}),
// count (int32) and ids (repeated string), and Req carries route.
func madeUpAPI(t *testing.T, route *marqueev1.Route) protoreflect.FileDescriptor {
	t.Helper()
	field := func(name string, n int32, typ descriptorpb.FieldDescriptorProto_Type, label descriptorpb.FieldDescriptorProto_Label, msg string) *descriptorpb.FieldDescriptorProto {
		f := &descriptorpb.FieldDescriptorProto{Name: proto.String(name), Number: proto.Int32(n), Type: typ.Enum(),
			Label: label.Enum(), JsonName: proto.String(name)}
		if msg != "" {
			f.TypeName = proto.String(".test.v1." + msg)
		}
		return f
	}
	opt, rep := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL, descriptorpb.FieldDescriptorProto_LABEL_REPEATED
	str, msg := descriptorpb.FieldDescriptorProto_TYPE_STRING, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE
	dbl := descriptorpb.FieldDescriptorProto_TYPE_DOUBLE
	req := &descriptorpb.DescriptorProto{Name: proto.String("Req"), Options: &descriptorpb.MessageOptions{}, Field: []*descriptorpb.FieldDescriptorProto{
		field("ref", 1, msg, opt, "Ref"), field("at", 2, msg, opt, "Point"),
		field("count", 3, descriptorpb.FieldDescriptorProto_TYPE_INT32, opt, ""), field("ids", 4, str, rep, "")}}
	if route != nil {
		proto.SetExtension(req.Options, marqueev1.E_Route, route)
	}
	fdp := &descriptorpb.FileDescriptorProto{Name: proto.String("test/v1/made_up.proto"), Package: proto.String("test.v1"),
		Syntax: proto.String("proto3"), MessageType: []*descriptorpb.DescriptorProto{req,
			{Name: proto.String("Ref"), Field: []*descriptorpb.FieldDescriptorProto{field("id", 1, str, opt, "")}},
			{Name: proto.String("Point"), Field: []*descriptorpb.FieldDescriptorProto{field("latitude", 1, dbl, opt, ""), field("longitude", 2, dbl, opt, "")}},
			{Name: proto.String("Res")}},
		Service: []*descriptorpb.ServiceDescriptorProto{{Name: proto.String("S"), Method: []*descriptorpb.MethodDescriptorProto{
			{Name: proto.String("Do"), InputType: proto.String(".test.v1.Req"), OutputType: proto.String(".test.v1.Res")}}}}}
	fd, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatal(err)
	}
	return fd
}
