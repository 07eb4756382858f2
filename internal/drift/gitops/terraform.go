package gitops

import (
	"fmt"
	"math/big"
	"path"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/sphera/atrium/internal/problem"
)

// Terraform resource types read, and the drift resource type each declares.
var terraformTypes = map[string]string{
	"aws_sqs_queue":              "sqs_queue",
	"aws_sns_topic":              "sns_topic",
	"aws_secretsmanager_secret":  "secret",
	"aws_sns_topic_subscription": "sns_subscription",
}

// Resource is an AWS resource a Terraform file declares.
type Resource struct {
	// Type is the drift type (sqs_queue, sns_topic, secret, sns_subscription); TFType Terraform's.
	Type   string
	TFType string
	Label  string // the block's name label: aws_sqs_queue.LABEL
	// Name is the AWS name (the name attribute); "" when it is not a literal.
	Name string
	// Attrs are the literal attributes as strings (visibility_timeout_seconds = "45", fifo_queue = "true"); an
	// attribute that is an expression (a variable, a reference) is left out: its value is unknown here.
	Attrs map[string]string
	Tags  map[string]string
	// Refs are the attributes that are references, as written (topic_arn = "aws_sns_topic.orders.arn").
	Refs map[string]string
	Path string
	Line int
}

// IsTerraform reports whether p is a Terraform file this package reads.
func IsTerraform(p string) bool { return strings.HasSuffix(p, ".tf") }

// ReadTerraform reads the AWS resources of files' .tf files. A subscription's topic and queue references are
// resolved to their names where the file (or a file of the same directory) declares them.
func ReadTerraform(files map[string][]byte) ([]Resource, problem.Problems) {
	var ps problem.Problems
	var paths []string
	for p := range files {
		if IsTerraform(p) {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	parser := hclparse.NewParser()
	var out []Resource
	dataNames := map[string]string{} // dir + "data.aws_sqs_queue.LABEL" → name
	for _, p := range paths {
		f, diags := parser.ParseHCL(files[p], p)
		if diags.HasErrors() {
			ps = append(ps, problem.Problem{Severity: problem.Warning, Source: "drift", Summary: p + " is not valid HCL",
				Detail: diags.Error()})
			continue
		}
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		for _, b := range body.Blocks {
			if len(b.Labels) != 2 {
				continue
			}
			if b.Type == "data" && b.Labels[0] == "aws_sqs_queue" {
				if n, ok := literal(b.Body.Attributes["name"]); ok {
					dataNames[path.Dir(p)+"\x00data.aws_sqs_queue."+b.Labels[1]] = n
				}
				continue
			}
			t, ok := terraformTypes[b.Labels[0]]
			if b.Type != "resource" || !ok {
				continue
			}
			r := Resource{Type: t, TFType: b.Labels[0], Label: b.Labels[1], Attrs: map[string]string{},
				Tags: map[string]string{}, Refs: map[string]string{}, Path: p, Line: b.DefRange().Start.Line}
			for name, a := range b.Body.Attributes {
				if name == "tags" {
					v, diags := a.Expr.Value(nil)
					if !diags.HasErrors() && (v.Type().IsMapType() || v.Type().IsObjectType()) && v.IsKnown() && !v.IsNull() {
						for k, e := range v.AsValueMap() {
							if s, ok := ctyString(e); ok {
								r.Tags[k] = s
							}
						}
					}
					continue
				}
				if s, ok := literal(a); ok {
					r.Attrs[name] = s
					continue
				}
				if st, ok := a.Expr.(*hclsyntax.ScopeTraversalExpr); ok {
					r.Refs[name] = traversal(st.Traversal)
				}
			}
			r.Name = r.Attrs["name"]
			out = append(out, r)
		}
	}
	// Subscriptions: the topic and the queue they name.
	byRef := map[string]string{}
	for _, r := range out {
		byRef[path.Dir(r.Path)+"\x00"+r.TFType+"."+r.Label] = r.Name
	}
	for i := range out {
		r := &out[i]
		if r.Type != "sns_subscription" {
			continue
		}
		dir := path.Dir(r.Path)
		if ref, ok := r.Refs["topic_arn"]; ok {
			r.Attrs["topic"] = byRef[dir+"\x00"+strings.TrimSuffix(ref, ".arn")]
		}
		if ref, ok := r.Refs["endpoint"]; ok {
			base := strings.TrimSuffix(ref, ".arn")
			if n := byRef[dir+"\x00"+base]; n != "" {
				r.Attrs["queue"] = n
			} else if n := dataNames[dir+"\x00"+base]; n != "" {
				r.Attrs["queue"] = n
			}
		} else if ep := r.Attrs["endpoint"]; ep != "" {
			r.Attrs["queue"] = ep[strings.LastIndex(ep, ":")+1:]
		}
	}
	return out, ps
}

func traversal(t hcl.Traversal) string {
	var parts []string
	for _, s := range t {
		switch x := s.(type) {
		case hcl.TraverseRoot:
			parts = append(parts, x.Name)
		case hcl.TraverseAttr:
			parts = append(parts, x.Name)
		}
	}
	return strings.Join(parts, ".")
}

// literal is an attribute's value when it is a constant (no variable, no reference, no function).
func literal(a *hclsyntax.Attribute) (string, bool) {
	if a == nil || len(a.Expr.Variables()) > 0 {
		return "", false
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return "", false
	}
	return ctyString(v)
}

func ctyString(v cty.Value) (string, bool) {
	if !v.IsKnown() || v.IsNull() {
		return "", false
	}
	switch v.Type() {
	case cty.String:
		return v.AsString(), true
	case cty.Bool:
		if v.True() {
			return "true", true
		}
		return "false", true
	case cty.Number:
		f := v.AsBigFloat()
		if f.IsInt() {
			i, _ := f.Int(nil)
			return i.String(), true
		}
		return f.Text('f', -1), true
	}
	return "", false
}

// SetTerraformAttribute rewrites the attribute attr of resource TYPE.LABEL in a Terraform file to value (a
// number when value is one, else a string; "true"/"false" as booleans), keeping everything else as it is written.
func SetTerraformAttribute(content []byte, filename, tfType, label, attr, value string) ([]byte, error) {
	f, diags := hclwrite.ParseConfig(content, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s: %s", filename, diags.Error())
	}
	b := f.Body().FirstMatchingBlock("resource", []string{tfType, label})
	if b == nil {
		return nil, fmt.Errorf("%s has no resource %s.%s", filename, tfType, label)
	}
	var v cty.Value
	if n, ok := new(big.Float).SetString(value); ok && value != "" {
		v = cty.NumberVal(n)
	} else if value == "true" || value == "false" {
		v = cty.BoolVal(value == "true")
	} else {
		v = cty.StringVal(value)
	}
	b.Body().SetAttributeValue(attr, v)
	return hclwrite.Format(f.Bytes()), nil
}
