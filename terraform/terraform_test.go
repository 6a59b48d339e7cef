// Package terraform_test checks the Terraform beside it without Terraform: it parses every .tf file with HCL,
// checks variables and module calls the way `terraform validate` would, and evaluates the locals that read
// ../regions/*.json to check that every region of the Go package regions is deployed.
package terraform_test

import (
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/marqueehq/marquee/regions"
)

func TestEveryVariableUsedIsDeclared(t *testing.T) {
	for _, m := range loadModules(t) {
		declared := m.variables()
		used := map[string]bool{}
		for _, b := range m.bodies {
			for _, tr := range traversals(b) {
				if tr.RootName() == "var" && len(tr) > 1 {
					used[strings.SplitN(attrPath(tr, 1), ".", 2)[0]] = true
				}
			}
		}
		for name := range used {
			if declared[name] == nil {
				t.Errorf("terraform/%s uses var.%s, which no variable block there declares", m.dir, name)
			}
		}
		for name := range declared {
			if !used[name] {
				t.Errorf("terraform/%s declares variable %q but never uses it", m.dir, name)
			}
		}
	}
}

// metaArguments are the arguments of a module block that are not its input variables.
var metaArguments = map[string]bool{"source": true, "version": true, "for_each": true, "count": true, "providers": true, "depends_on": true}

func TestModuleCallsMatchTheirVariables(t *testing.T) {
	mods := loadModules(t)
	for _, m := range mods {
		for _, call := range m.blocks("module") {
			target := mods[moduleSource(t, m, call)]
			if target == nil {
				t.Errorf("terraform/%s: module %q has source %s, which holds no .tf files", m.dir, call.Labels[0], moduleSource(t, m, call))
				continue
			}
			vars := target.variables()
			for arg := range call.Body.Attributes {
				if !metaArguments[arg] && vars[arg] == nil {
					t.Errorf("module %q passes %s, which terraform/%s does not declare", call.Labels[0], arg, target.dir)
				}
			}
			for name, v := range vars {
				if _, hasDefault := v.Body.Attributes["default"]; !hasDefault && call.Body.Attributes[name] == nil {
					t.Errorf("module %q does not pass %s, which terraform/%s requires", call.Labels[0], name, target.dir)
				}
			}
		}
	}
}

// TestEveryRegionIsDeployed evaluates the root module's locals, which read ../regions/*.json, and checks that
// they hold exactly the regions of the regions package, that the network, regional services and edge modules
// each have one instance per region (for_each = local.regions), and that every region field those modules read
// exists in every region file.
func TestEveryRegionIsDeployed(t *testing.T) {
	root := loadModules(t)["."]
	got := evalLocal(t, root, "regions", nil)
	var want []string
	for _, r := range regions.All() {
		want = append(want, r.Name)
	}
	var keys []string
	for k := range got.AsValueMap() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Fatalf("local.regions of terraform/ is not the regions of regions/; mismatch (-want +got):\n%s", diff)
	}
	if p := evalLocal(t, root, "primary_region", nil); p.AsString() != regions.Primary().Name {
		t.Errorf("local.primary_region = %s, want %s", p.AsString(), regions.Primary().Name)
	}

	perRegion := map[string][]string{} // module source -> each.value fields it reads
	for _, call := range root.blocks("module") {
		fe := call.Body.Attributes["for_each"]
		if fe == nil {
			continue
		}
		if tr := traversals(fe.Expr); len(tr) != 1 || attrPath(tr[0], 0) != "local.regions" {
			continue
		}
		src := moduleSource(t, root, call)
		for _, tr := range traversals(call.Body) {
			field := strings.TrimPrefix(attrPath(tr, 1), "value.")
			if tr.RootName() == "each" && strings.HasPrefix(attrPath(tr, 1), "value.") && !contains(perRegion[src], field) {
				perRegion[src] = append(perRegion[src], field)
			}
		}
		if perRegion[src] == nil {
			perRegion[src] = []string{}
		}
	}
	for _, src := range []string{"modules/network", "modules/region", "modules/edge"} {
		if _, ok := perRegion[src]; !ok {
			t.Errorf("no module with source ./%s has for_each = local.regions: regions would not get it", src)
		}
	}
	for _, field := range []string{"sqlLocality", "natsCluster", "s3Bucket", "deploy.awsRegion"} {
		if !contains(perRegion["modules/region"], field) {
			t.Errorf("module region does not read each.value.%s: a region's %s must come from its file", field, field)
		}
	}
	for name, r := range got.AsValueMap() {
		for src, fields := range perRegion {
			for _, field := range fields {
				if v := lookup(r, field); v.IsNull() || v.Type() != cty.String || v.AsString() == "" {
					t.Errorf("regions/%s.json has no %s, which ./%s reads", name, field, src)
				}
			}
		}
	}
}

// TestRegionNetworksDoNotOverlap checks the address ranges that peering needs to be distinct.
func TestRegionNetworksDoNotOverlap(t *testing.T) {
	var nets []netip.Prefix
	for _, r := range regions.All() {
		p, err := netip.ParsePrefix(r.Deploy.VPCCIDR)
		if err != nil {
			t.Errorf("regions/%s.json deploy.vpcCidr: %v", r.Name, err)
			continue
		}
		for i, q := range nets {
			if p.Overlaps(q) {
				t.Errorf("regions/%s.json vpcCidr %s overlaps %s of %s", r.Name, p, q, regions.All()[i].Name)
			}
		}
		nets = append(nets, p)
	}
}

// TestEdgeRoutesToEveryRegion evaluates the edge module's flags for the regions of regions/.
func TestEdgeRoutesToEveryRegion(t *testing.T) {
	edge := loadModules(t)["modules/edge"]
	urls := map[string]cty.Value{}
	var want []string
	for _, r := range regions.All() {
		urls[r.Name] = cty.StringVal("http://api." + r.Name)
		want = append(want, "--region-url", r.Name+"=http://api."+r.Name)
	}
	flags := evalLocal(t, edge, "region_url_flags", map[string]cty.Value{"region_urls": cty.MapVal(urls)})
	var got []string
	for _, v := range flags.AsValueSlice() {
		got = append(got, v.AsString())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("marquee edge flags mismatch (-want +got):\n%s", diff)
	}
	root := loadModules(t)["."]
	calls := root.blocks("module", "edge")
	if len(calls) != 1 || !refersTo(calls[0].Body.Attributes["region_urls"], "module.region") {
		t.Fatal("module edge's region_urls is not built from module.region")
	}
}

// TestRegionalServicesRunMarqueeRegion checks the command of the regional task: marquee region --region NAME.
func TestRegionalServicesRunMarqueeRegion(t *testing.T) {
	region := loadModules(t)["modules/region"]
	found := false
	for _, td := range region.blocks("resource", "aws_ecs_task_definition") {
		hclsyntax.VisitAll(td.Body, func(n hclsyntax.Node) hcl.Diagnostics {
			if tuple, ok := n.(*hclsyntax.TupleConsExpr); ok && len(tuple.Exprs) >= 3 &&
				literal(tuple.Exprs[0]) == "region" && literal(tuple.Exprs[1]) == "--region" &&
				refersTo(&hclsyntax.Attribute{Expr: tuple.Exprs[2]}, "var.name") {
				found = true
			}
			return nil
		})
	}
	if !found {
		t.Fatal(`no task definition in modules/region runs ["region", "--region", var.name, ...]`)
	}
}

// TestNATSGatewaysJoinEveryOtherRegion renders each region's nats-server configuration from the template and the
// gateways the root module passes, and checks that its cluster has a gateway to every other region's cluster.
func TestNATSGatewaysJoinEveryOtherRegion(t *testing.T) {
	root := loadModules(t)["."]
	ev := newEvaluator(t, root, map[string]cty.Value{"internal_domain": cty.StringVal("marquee.internal")})
	call := root.blocks("module", "region")[0]
	src, err := os.ReadFile("modules/region/templates/nats.conf.tftpl")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, diags := hclsyntax.ParseTemplate(src, "nats.conf.tftpl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	for _, r := range regions.All() {
		each := cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal(r.Name), "value": ev.local("regions").GetAttr(r.Name)})
		out, diags := tmpl.Value(&hcl.EvalContext{Variables: map[string]cty.Value{
			"server_name": cty.StringVal("nats-0." + r.Name),
			"region":      cty.StringVal(r.Name),
			"cluster":     cty.StringVal(r.NATSCluster),
			"routes":      cty.ListVal([]cty.Value{cty.StringVal("nats-0." + r.Name)}),
			"gateways":    ev.expr(call.Body.Attributes["nats_gateways"].Expr, each),
		}})
		if diags.HasErrors() {
			t.Fatalf("%s: %s", r.Name, diags.Error())
		}
		conf := out.AsString()
		for _, o := range regions.All() {
			gw := fmt.Sprintf(`{ name: "%s", urls: ["nats://nats-gateway.%s.marquee.internal:7222"] }`, o.NATSCluster, o.Name)
			if has := strings.Contains(conf, gw); has != (o.Name != r.Name) {
				t.Errorf("%s's nats.conf has gateway %s: %v, want %v\n%s", r.Name, gw, has, o.Name != r.Name, conf)
			}
		}
		if !strings.Contains(conf, `server_tags: ["region:`+r.Name+`"]`) || strings.Count(conf, `name: "`+r.NATSCluster+`"`) != 2 {
			t.Errorf("%s's nats.conf does not tag its servers with the region or name its cluster and gateway %s:\n%s", r.Name, r.NATSCluster, conf)
		}
	}
}

// TestArchiveBucketsLockObjectsForFiveYears checks that each region's bucket is its file's s3Bucket with object
// lock on, in COMPLIANCE mode, for 5 years by default.
func TestArchiveBucketsLockObjectsForFiveYears(t *testing.T) {
	region := loadModules(t)["modules/region"]
	buckets := region.blocks("resource", "aws_s3_bucket")
	if len(buckets) != 1 || literalValue(t, buckets[0].Body, "object_lock_enabled") != cty.True ||
		!refersTo(buckets[0].Body.Attributes["bucket"], "var.s3_bucket") {
		t.Fatal("modules/region needs one aws_s3_bucket named var.s3_bucket with object_lock_enabled = true")
	}
	locks := region.blocks("resource", "aws_s3_bucket_object_lock_configuration")
	if len(locks) != 1 {
		t.Fatalf("%d object lock configurations in modules/region, want 1", len(locks))
	}
	var retention *hclsyntax.Body
	for _, rule := range locks[0].Body.Blocks {
		for _, b := range rule.Body.Blocks {
			if rule.Type == "rule" && b.Type == "default_retention" {
				retention = b.Body
			}
		}
	}
	if retention == nil {
		t.Fatal("the object lock configuration has no rule.default_retention")
	}
	if mode := literalValue(t, retention, "mode"); mode != cty.StringVal("COMPLIANCE") {
		t.Errorf("default retention mode = %#v, want COMPLIANCE", mode)
	}
	if years := literalValue(t, retention, "years"); !years.RawEquals(cty.NumberIntVal(5)) {
		t.Errorf("default retention = %#v years, want 5", years)
	}
}
