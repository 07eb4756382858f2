// Package gitops reads the desired state gitops repositories declare, as the GitHub collector hands their files
// over: Kubernetes manifests (YAML, and Kustomize output where it is simple), and the Terraform of the AWS
// resources (through hclparse). It also writes a repository's files back for a fix: a field of a manifest (through
// yaml.v3's node tree, so comments and order stay), an attribute of a Terraform resource (through hclwrite).
//
// What it cannot read faithfully it does not guess: a kustomization using a feature beyond the simple ones is
// reported as a problem and declares nothing, so that it never produces drift that is not there.
package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	yamlv3 "gopkg.in/yaml.v3"
	"sigs.k8s.io/yaml"

	"github.com/sphera/atrium/internal/problem"
)

// Manifest is one Kubernetes object a repository declares.
type Manifest struct {
	// Path is the file that holds the object; Doc its index among the file's YAML documents.
	Path string
	Doc  int
	// Object is the object as declared, after Kustomize's simple transformations when a kustomization renders it.
	Object map[string]any
	// Kustomization is the kustomization.yaml that rendered the object ("" for a plain file).
	Kustomization string
}

// Kind is the object's kind.
func (m Manifest) Kind() string { s, _ := m.Object["kind"].(string); return s }

// Name is the object's metadata.name.
func (m Manifest) Name() string { return metaString(m.Object, "name") }

// Namespace is the object's metadata.namespace, "default" when it names none.
func (m Manifest) Namespace() string {
	if ns := metaString(m.Object, "namespace"); ns != "" {
		return ns
	}
	return "default"
}

func metaString(obj map[string]any, key string) string {
	md, _ := obj["metadata"].(map[string]any)
	s, _ := md[key].(string)
	return s
}

// IsManifest reports whether p is a file this package reads as Kubernetes YAML.
func IsManifest(p string) bool {
	ext := strings.ToLower(path.Ext(p))
	return ext == ".yaml" || ext == ".yml"
}

// IsKustomization reports whether p is a kustomization file.
func IsKustomization(p string) bool {
	switch path.Base(p) {
	case "kustomization.yaml", "kustomization.yml", "Kustomization":
		return true
	}
	return false
}

// ReadKubernetes reads the Kubernetes objects of files (slash paths → contents): every YAML document with an
// apiVersion, a kind and a name. A directory with a kustomization is read through it (its resources rendered with
// the simple transformations), and the files it lists are not read again on their own. Problems name the file.
func ReadKubernetes(files map[string][]byte) ([]Manifest, problem.Problems) {
	var out []Manifest
	var ps problem.Problems
	used := map[string]bool{} // files a kustomization rendered (or refused to)
	var kusts []string
	for p := range files {
		if IsKustomization(p) {
			kusts = append(kusts, p)
		}
	}
	sort.Strings(kusts)
	// A kustomization another one lists is rendered by that one, not on its own.
	nested := map[string]bool{}
	for _, k := range kusts {
		for _, r := range kustomizationResources(files[k]) {
			dir := path.Join(path.Dir(k), r)
			for _, name := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
				if _, ok := files[path.Join(dir, name)]; ok {
					nested[path.Join(dir, name)] = true
				}
			}
		}
	}
	for _, k := range kusts {
		if nested[k] {
			continue
		}
		ms, files2, err := renderKustomization(files, k, 0)
		for _, f := range files2 {
			used[f] = true
		}
		if err != nil {
			ps = append(ps, problem.Problem{Severity: problem.Warning, Source: "drift", Summary: k + " not read",
				Detail: err.Error() + "; its objects are not compared with the cluster"})
			continue
		}
		out = append(out, ms...)
	}
	// A directory with a kustomization is applied through it (kustomize applies nothing it does not list), so its
	// files are never read on their own, rendered or not.
	kdirs := map[string]bool{}
	for _, k := range kusts {
		kdirs[path.Dir(k)] = true
	}
	var plain []string
	for p := range files {
		if IsManifest(p) && !IsKustomization(p) && !used[p] && !kdirs[path.Dir(p)] {
			plain = append(plain, p)
		}
	}
	sort.Strings(plain)
	for _, p := range plain {
		ms, err := decodeManifests(p, files[p])
		if err != nil {
			ps = append(ps, problem.Problem{Severity: problem.Warning, Source: "drift", Summary: p + " is not valid YAML",
				Detail: err.Error()})
		}
		out = append(out, ms...)
	}
	return out, ps
}

// decodeManifests splits a file into its YAML documents and keeps those that are Kubernetes objects.
func decodeManifests(p string, data []byte) ([]Manifest, error) {
	var out []Manifest
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	for i := 0; ; i++ {
		var node yamlv3.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("document %d: %w", i+1, err)
		}
		plainTimestamps(&node)
		var raw any
		if err := node.Decode(&raw); err != nil {
			return out, fmt.Errorf("document %d: %w", i+1, err)
		}
		obj, ok := jsonValue(raw).(map[string]any)
		if !ok || obj == nil {
			continue
		}
		if _, ok := obj["apiVersion"].(string); !ok {
			continue
		}
		m := Manifest{Path: p, Doc: i, Object: obj}
		if m.Kind() == "" || m.Name() == "" {
			continue
		}
		out = append(out, m)
	}
}

// kustomization is the part of a kustomization file this package renders.
type kustomization struct {
	Resources    []string          `json:"resources"`
	Namespace    string            `json:"namespace"`
	NamePrefix   string            `json:"namePrefix"`
	NameSuffix   string            `json:"nameSuffix"`
	CommonLabels map[string]string `json:"commonLabels"`
	Labels       []struct {
		Pairs map[string]string `json:"pairs"`
	} `json:"labels"`
	Images []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
		Digest  string `json:"digest"`
	} `json:"images"`
	Replicas []struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	} `json:"replicas"`
}

// simpleKeys are the kustomization fields rendered; any other field (patches, generators, components, Helm
// charts, ...) makes the output something this package would only guess.
var simpleKeys = map[string]bool{"apiVersion": true, "kind": true, "resources": true, "namespace": true,
	"namePrefix": true, "nameSuffix": true, "commonLabels": true, "labels": true, "images": true, "replicas": true}

func kustomizationResources(data []byte) []string {
	var k kustomization
	_ = yaml.Unmarshal(data, &k)
	return k.Resources
}

// renderKustomization renders the kustomization at k: its resources (files, or directories with their own
// kustomization), then namespace, name prefix and suffix, labels, images and replicas. It returns the files it
// read, also when it fails.
func renderKustomization(files map[string][]byte, k string, depth int) ([]Manifest, []string, error) {
	used := []string{k}
	if depth > 8 {
		return nil, used, errors.New("kustomizations nest more than 8 deep")
	}
	var raw map[string]any
	if err := yaml.Unmarshal(files[k], &raw); err != nil {
		return nil, used, fmt.Errorf("%s: %w", k, err)
	}
	var unsupported []string
	for key := range raw {
		if !simpleKeys[key] {
			unsupported = append(unsupported, key)
		}
	}
	if len(unsupported) > 0 {
		sort.Strings(unsupported)
		return nil, used, fmt.Errorf("uses %s, which Atrium does not render (only resources, namespace, namePrefix, "+
			"nameSuffix, commonLabels, labels, images and replicas)", strings.Join(unsupported, ", "))
	}
	var kz kustomization
	if err := yaml.Unmarshal(files[k], &kz); err != nil {
		return nil, used, fmt.Errorf("%s: %w", k, err)
	}
	dir := path.Dir(k)
	var out []Manifest
	for _, r := range kz.Resources {
		if strings.Contains(r, "://") || strings.HasPrefix(r, "github.com/") {
			return nil, used, fmt.Errorf("resource %q is remote; only files of the repository are read", r)
		}
		p := path.Join(dir, r)
		if strings.HasPrefix(p, "../") || p == ".." {
			return nil, used, fmt.Errorf("resource %q is outside the repository", r)
		}
		if data, ok := files[p]; ok {
			used = append(used, p)
			ms, err := decodeManifests(p, data)
			if err != nil {
				return nil, used, fmt.Errorf("%s: %w", p, err)
			}
			for i := range ms {
				ms[i].Kustomization = k
			}
			out = append(out, ms...)
			continue
		}
		found := false
		for _, name := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
			sub := path.Join(p, name)
			if _, ok := files[sub]; ok {
				ms, u, err := renderKustomization(files, sub, depth+1)
				used = append(used, u...)
				if err != nil {
					return nil, used, err
				}
				for i := range ms {
					ms[i].Kustomization = k
				}
				out = append(out, ms...)
				found = true
				break
			}
		}
		if !found {
			return nil, used, fmt.Errorf("resource %q: no such file or kustomization in the repository", r)
		}
	}
	labels := map[string]string{}
	for k, v := range kz.CommonLabels {
		labels[k] = v
	}
	for _, l := range kz.Labels {
		for k, v := range l.Pairs {
			labels[k] = v
		}
	}
	for i := range out {
		obj := out[i].Object
		md := ensureMap(obj, "metadata")
		if kz.Namespace != "" {
			md["namespace"] = kz.Namespace
		}
		if name, _ := md["name"].(string); name != "" {
			md["name"] = kz.NamePrefix + name + kz.NameSuffix
		}
		if len(labels) > 0 {
			l := ensureMap(md, "labels")
			for k, v := range labels {
				l[k] = v
			}
		}
		for _, c := range containersOf(obj) {
			img, _ := c["image"].(string)
			for _, im := range kz.Images {
				if imageName(img) != im.Name {
					continue
				}
				name := imageName(img)
				if im.NewName != "" {
					name = im.NewName
				}
				switch {
				case im.Digest != "":
					img = name + "@" + im.Digest
				case im.NewTag != "":
					img = name + ":" + im.NewTag
				default:
					img = name + strings.TrimPrefix(img, imageName(img))
				}
				c["image"] = img
			}
		}
		for _, r := range kz.Replicas {
			if r.Name == metaString(obj, "name") || kz.NamePrefix+r.Name+kz.NameSuffix == metaString(obj, "name") {
				ensureMap(obj, "spec")["replicas"] = float64(r.Count)
			}
		}
	}
	return out, used, nil
}

func ensureMap(m map[string]any, key string) map[string]any {
	if v, ok := m[key].(map[string]any); ok {
		return v
	}
	v := map[string]any{}
	m[key] = v
	return v
}

// containersOf lists the containers of a workload's pod template.
func containersOf(obj map[string]any) []map[string]any {
	spec, _ := obj["spec"].(map[string]any)
	tpl, _ := spec["template"].(map[string]any)
	ps, _ := tpl["spec"].(map[string]any)
	var out []map[string]any
	for _, key := range []string{"initContainers", "containers"} {
		l, _ := ps[key].([]any)
		for _, c := range l {
			if m, ok := c.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

// imageName is an image reference without its tag or digest.
func imageName(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref
}

// jsonValue turns what yaml.v3 decodes into the values JSON decodes to (string-keyed maps, float64 numbers), the
// form the rest of drift compares.
func jsonValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonValue(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = jsonValue(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = jsonValue(e)
		}
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	}
	return v
}

// plainTimestamps makes scalars YAML would read as timestamps strings, as Kubernetes (YAML read as JSON) sees them.
func plainTimestamps(n *yamlv3.Node) {
	if n.Kind == yamlv3.ScalarNode && n.ShortTag() == "!!timestamp" {
		n.Tag = "!!str"
	}
	for _, c := range n.Content {
		plainTimestamps(c)
	}
}
