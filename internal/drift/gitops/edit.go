package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	yamlv3 "gopkg.in/yaml.v3"

	"github.com/sphera/atrium/internal/drift/diff"
)

// SetYAMLField sets the field at path of YAML document doc (0-based) of content to value — or removes it when
// value is nil — and returns the file with every other document, key, comment and order as it was. Lists of named
// items are walked by name (containers[api]). A missing map along the way is created; a missing list item is an
// error (the fix would have to invent the rest of it).
func SetYAMLField(content []byte, doc int, path diff.Path, value any) ([]byte, error) {
	var docs []*yamlv3.Node
	dec := yamlv3.NewDecoder(bytes.NewReader(content))
	for {
		var n yamlv3.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read YAML: %w", err)
		}
		docs = append(docs, &n)
	}
	if doc < 0 || doc >= len(docs) {
		return nil, fmt.Errorf("the file has %d YAML documents, not %d", len(docs), doc+1)
	}
	root := docs[doc]
	if root.Kind == yamlv3.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if err := setNode(root, path, value); err != nil {
		return nil, fmt.Errorf("set %s: %w", path, err)
	}
	var out bytes.Buffer
	enc := yamlv3.NewEncoder(&out)
	enc.SetIndent(2)
	for _, d := range docs {
		if err := enc.Encode(d); err != nil {
			return nil, err
		}
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func setNode(n *yamlv3.Node, p diff.Path, value any) error {
	if len(p) == 0 {
		return errors.New("empty path")
	}
	s := p[0]
	last := len(p) == 1
	switch n.Kind {
	case yamlv3.MappingNode:
		if s.Item {
			return fmt.Errorf("%s: a map, not a list", s)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value != s.Key {
				continue
			}
			if last {
				if value == nil {
					n.Content = append(n.Content[:i], n.Content[i+2:]...)
					return nil
				}
				return encodeInto(n.Content[i+1], value)
			}
			return setNode(n.Content[i+1], p[1:], value)
		}
		if value == nil {
			return nil // nothing to remove
		}
		key := &yamlv3.Node{Kind: yamlv3.ScalarNode, Tag: "!!str", Value: s.Key}
		var child *yamlv3.Node
		if last {
			child = &yamlv3.Node{}
			if err := encodeInto(child, value); err != nil {
				return err
			}
		} else {
			if p[1].Item {
				return fmt.Errorf("%s: no such list", s)
			}
			child = &yamlv3.Node{Kind: yamlv3.MappingNode, Tag: "!!map"}
			if err := setNode(child, p[1:], value); err != nil {
				return err
			}
		}
		n.Content = append(n.Content, key, child)
		return nil
	case yamlv3.SequenceNode:
		if !s.Item && s.Name == "" {
			return fmt.Errorf("%s: a list, not a map", s)
		}
		for i, item := range n.Content {
			match := false
			if s.Name != "" {
				match = item.Kind == yamlv3.MappingNode && mapValue(item, "name") == s.Name
			} else {
				match = i == s.Index
			}
			if !match {
				continue
			}
			if last {
				if value == nil {
					n.Content = append(n.Content[:i], n.Content[i+1:]...)
					return nil
				}
				return encodeInto(item, value)
			}
			return setNode(item, p[1:], value)
		}
		if last && value != nil {
			child := &yamlv3.Node{}
			if err := encodeInto(child, value); err != nil {
				return err
			}
			n.Content = append(n.Content, child)
			return nil
		}
		if value == nil {
			return nil
		}
		return fmt.Errorf("%s: no such item", s)
	}
	return fmt.Errorf("%s: not a map or a list", s)
}

func mapValue(n *yamlv3.Node, key string) string {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1].Value
		}
	}
	return ""
}

// encodeInto replaces n's value with value, keeping n's comments. Whole numbers are written without a fraction.
func encodeInto(n *yamlv3.Node, value any) error {
	if f, ok := value.(float64); ok && f == float64(int64(f)) {
		value = int64(f)
	}
	var v yamlv3.Node
	if err := v.Encode(value); err != nil {
		return err
	}
	head, line, foot := n.HeadComment, n.LineComment, n.FootComment
	style := n.Style
	*n = v
	n.HeadComment, n.LineComment, n.FootComment = head, line, foot
	if v.Kind == yamlv3.ScalarNode && style&(yamlv3.DoubleQuotedStyle|yamlv3.SingleQuotedStyle) != 0 {
		n.Style = style
	}
	if v.Kind == yamlv3.ScalarNode && v.Tag == "!!str" {
		// A string that reads as another type ("10", "true") stays a string.
		if _, err := strconv.ParseFloat(v.Value, 64); err == nil && n.Style == 0 {
			n.Style = yamlv3.DoubleQuotedStyle
		}
	}
	return nil
}
