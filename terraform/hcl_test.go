package terraform_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// module is the .tf files of one directory, as Terraform groups them.
type module struct {
	dir    string // relative to terraform/, "." for the root
	bodies []*hclsyntax.Body
}

// blocks returns the top-level blocks of type typ (and first label, when given) in every file of m.
func (m *module) blocks(typ string, label ...string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, b := range m.bodies {
		for _, blk := range b.Blocks {
			if blk.Type == typ && (len(label) == 0 || (len(blk.Labels) > 0 && blk.Labels[0] == label[0])) {
				out = append(out, blk)
			}
		}
	}
	return out
}

// variables returns the module's variable blocks by name.
func (m *module) variables() map[string]*hclsyntax.Block {
	vars := map[string]*hclsyntax.Block{}
	for _, b := range m.blocks("variable") {
		vars[b.Labels[0]] = b
	}
	return vars
}

// locals returns every attribute of the module's locals blocks.
func (m *module) locals() map[string]*hclsyntax.Attribute {
	locals := map[string]*hclsyntax.Attribute{}
	for _, b := range m.blocks("locals") {
		for name, a := range b.Body.Attributes {
			locals[name] = a
		}
	}
	return locals
}

// loadModules parses every .tf file under terraform/, failing on any syntax error or unformatted file.
func loadModules(t *testing.T) map[string]*module {
	t.Helper()
	parser := hclparse.NewParser()
	mods := map[string]*module{}
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".tf") {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Equal(hclwrite.Format(src), src) {
			t.Errorf("%s is not formatted as `terraform fmt` would", p)
		}
		f, diags := parser.ParseHCL(src, p)
		if diags.HasErrors() {
			return fmt.Errorf("%s: %s", p, diags.Error())
		}
		dir := filepath.ToSlash(filepath.Dir(p))
		if mods[dir] == nil {
			mods[dir] = &module{dir: dir}
		}
		mods[dir].bodies = append(mods[dir].bodies, f.Body.(*hclsyntax.Body))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".", "modules/network", "modules/region", "modules/edge"} {
		if mods[want] == nil {
			t.Fatalf("no .tf files in terraform/%s", want)
		}
	}
	return mods
}

// traversals returns every variable reference (var.x, local.y, each.value.z, module.m...) in node.
func traversals(node hclsyntax.Node) []hcl.Traversal {
	var out []hcl.Traversal
	hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
		if e, ok := n.(*hclsyntax.ScopeTraversalExpr); ok {
			out = append(out, e.Traversal)
		}
		return nil
	})
	return out
}

// attrPath renders the attribute steps of a traversal after its first skip steps: each.value.deploy.awsRegion
// with skip 2 is "deploy.awsRegion".
func attrPath(tr hcl.Traversal, skip int) string {
	var names []string
	for _, step := range tr[skip:] {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			names = append(names, s.Name)
		case hcl.TraverseAttr:
			names = append(names, s.Name)
		default:
			return strings.Join(names, ".")
		}
	}
	return strings.Join(names, ".")
}

// moduleSource returns a local module's directory relative to terraform/.
func moduleSource(t *testing.T, m *module, call *hclsyntax.Block) string {
	t.Helper()
	v, diags := call.Body.Attributes["source"].Expr.Value(nil)
	if diags.HasErrors() || v.Type() != cty.String || !strings.HasPrefix(v.AsString(), ".") {
		t.Fatalf("module %q in terraform/%s: source must be a local path", call.Labels[0], m.dir)
	}
	return path.Clean(path.Join(m.dir, v.AsString()))
}

// evalLocal evaluates local.name of m, and the locals it needs, with path.module = m's directory, var = vars and
// the few Terraform functions the locals use.
func evalLocal(t *testing.T, m *module, name string, vars map[string]cty.Value) cty.Value {
	t.Helper()
	return newEvaluator(t, m, vars).local(name)
}

// evaluator evaluates expressions of one module the way Terraform would, for the parts that need no provider.
type evaluator struct {
	t     *testing.T
	m     *module
	vars  map[string]cty.Value
	attrs map[string]*hclsyntax.Attribute
	done  map[string]cty.Value
}

func newEvaluator(t *testing.T, m *module, vars map[string]cty.Value) *evaluator {
	return &evaluator{t: t, m: m, vars: vars, attrs: m.locals(), done: map[string]cty.Value{}}
}

// local evaluates local.name.
func (e *evaluator) local(name string) cty.Value {
	e.t.Helper()
	if v, ok := e.done[name]; ok {
		return v
	}
	a := e.attrs[name]
	if a == nil {
		e.t.Fatalf("terraform/%s has no local %q", e.m.dir, name)
	}
	v := e.expr(a.Expr, cty.NilVal)
	e.done[name] = v
	return v
}

// expr evaluates x, with each set to each when it is not cty.NilVal.
func (e *evaluator) expr(x hclsyntax.Expression, each cty.Value) cty.Value {
	e.t.Helper()
	for _, tr := range traversals(x) {
		if tr.RootName() == "local" {
			e.local(strings.SplitN(attrPath(tr, 1), ".", 2)[0])
		}
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"local": cty.ObjectVal(e.done),
			"path":  cty.ObjectVal(map[string]cty.Value{"module": cty.StringVal(e.m.dir)}),
			"var":   cty.ObjectVal(e.vars),
		},
		Functions: functions(),
	}
	if each != cty.NilVal {
		ctx.Variables["each"] = each
	}
	v, diags := x.Value(ctx)
	if diags.HasErrors() {
		e.t.Fatalf("terraform/%s: %s", e.m.dir, diags.Error())
	}
	return v
}

// functions returns the Terraform functions the evaluated locals may call, with Terraform's meaning.
func functions() map[string]function.Function {
	return map[string]function.Function{
		"file": function.New(&function.Spec{
			Params: []function.Parameter{{Name: "path", Type: cty.String}},
			Type:   function.StaticReturnType(cty.String),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				b, err := os.ReadFile(args[0].AsString())
				return cty.StringVal(string(b)), err
			},
		}),
		"fileset": function.New(&function.Spec{
			Params: []function.Parameter{{Name: "path", Type: cty.String}, {Name: "pattern", Type: cty.String}},
			Type:   function.StaticReturnType(cty.Set(cty.String)),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				dir := args[0].AsString()
				matches, err := filepath.Glob(filepath.Join(dir, args[1].AsString()))
				if err != nil || len(matches) == 0 {
					return cty.SetValEmpty(cty.String), err
				}
				var vals []cty.Value
				for _, p := range matches {
					rel, _ := filepath.Rel(dir, p)
					vals = append(vals, cty.StringVal(filepath.ToSlash(rel)))
				}
				return cty.SetVal(vals), nil
			},
		}),
		"one": function.New(&function.Spec{
			Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType}},
			Type:   function.StaticReturnType(cty.DynamicPseudoType),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				if n := args[0].LengthInt(); n != 1 {
					return cty.NilVal, fmt.Errorf("must be a list of one element, has %d", n)
				}
				return args[0].AsValueSlice()[0], nil
			},
		}),
		"jsondecode": stdlib.JSONDecodeFunc,
		"join":       stdlib.JoinFunc,
		"sort":       stdlib.SortFunc,
		"keys":       stdlib.KeysFunc,
		"flatten":    stdlib.FlattenFunc,
		"try":        tryfunc.TryFunc,
	}
}

// lookup follows a dotted path of object attributes, giving null where one is missing.
func lookup(v cty.Value, dotted string) cty.Value {
	for _, name := range strings.Split(dotted, ".") {
		if v.IsNull() || !v.Type().IsObjectType() || !v.Type().HasAttribute(name) {
			return cty.NullVal(cty.String)
		}
		v = v.GetAttr(name)
	}
	return v
}

// refersTo reports whether attribute a mentions the reference (for example "module.region" or "var.name").
func refersTo(a *hclsyntax.Attribute, ref string) bool {
	if a == nil {
		return false
	}
	for _, tr := range traversals(a.Expr) {
		if p := attrPath(tr, 0); p == ref || strings.HasPrefix(p, ref+".") {
			return true
		}
	}
	return false
}

// literal returns the string a literal or plain template expression stands for, or "".
func literal(e hclsyntax.Expression) string {
	v, diags := e.Value(nil)
	if diags.HasErrors() || v.Type() != cty.String || !v.IsKnown() {
		return ""
	}
	return v.AsString()
}

// literalValue evaluates attribute name of body without variables (it must be a constant).
func literalValue(t *testing.T, body *hclsyntax.Body, name string) cty.Value {
	t.Helper()
	a := body.Attributes[name]
	if a == nil {
		return cty.NilVal
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		t.Fatalf("%s: %s", name, diags.Error())
	}
	return v
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
