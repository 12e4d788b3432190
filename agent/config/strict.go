package config

import (
	"encoding"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Error is a configuration error at one key.
type Error struct {
	File string
	Line int
	Key  string // dotted path, e.g. "sensors[0].options.rate"
	Msg  string
	Err  error // the underlying cause, when there is one
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Key == "" {
		return fmt.Sprintf("%s: %s", loc, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", loc, e.Key, e.Msg)
}

// decoder decodes yaml nodes into Go values strictly: unknown keys,
// duplicate keys, wrong kinds and out-of-range numbers are errors that name
// the key and its line.
type decoder struct{ file string }

func (d decoder) errAt(n *yaml.Node, key, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{File: d.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)}
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	nodeType     = reflect.TypeOf(yaml.Node{})
	textType     = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
)

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (d decoder) decode(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		return d.errAt(n, path, "aliases are not supported")
	}
	if v.Type() == nodeType {
		v.Set(reflect.ValueOf(*n))
		return nil
	}
	if v.Kind() == reflect.Pointer {
		if n.Tag == "!!null" {
			v.Set(reflect.Zero(v.Type()))
			return nil
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return d.decode(n, v.Elem(), path)
	}
	if reflect.PointerTo(v.Type()).Implements(textType) && v.Type() != durationType {
		if n.Kind != yaml.ScalarNode {
			return d.errAt(n, path, "want a scalar value, got a %s", kindName(n))
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			return d.errAt(n, path, "%v", err)
		}
		return nil
	}
	switch v.Kind() {
	case reflect.Struct:
		return d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return d.errAt(n, path, "want a list, got a %s", kindName(n))
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			if err := d.decode(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return d.errAt(n, path, "want a mapping, got a %s", kindName(n))
		}
		if v.Type().Key().Kind() != reflect.String {
			return d.errAt(n, path, "internal: map keys must be strings")
		}
		m := reflect.MakeMap(v.Type())
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if m.MapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key())).IsValid() {
				return d.errAt(k, join(path, k.Value), "duplicate key")
			}
			e := reflect.New(v.Type().Elem()).Elem()
			if err := d.decode(val, e, join(path, k.Value)); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), e)
		}
		v.Set(m)
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return d.errAt(n, path, "want a single value, got a %s", kindName(n))
	}
	return d.decodeScalar(n, v, path)
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return fmt.Sprintf("value %q", n.Value)
	}
	return "node"
}

func (d decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return d.errAt(n, path, "want a mapping, got a %s", kindName(n))
	}
	fields := map[string]int{}
	var names []string
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "-" || !f.IsExported() {
			continue
		}
		if tag == "" {
			tag = strings.ToLower(f.Name)
		}
		fields[tag] = i
		names = append(names, tag)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := join(path, k.Value)
		idx, ok := fields[k.Value]
		if !ok {
			return d.errAt(k, key, "unknown key (known keys here: %s)", strings.Join(names, ", "))
		}
		if seen[k.Value] {
			return d.errAt(k, key, "duplicate key")
		}
		seen[k.Value] = true
		if err := d.decode(val, v.Field(idx), key); err != nil {
			return err
		}
	}
	return nil
}

func (d decoder) decodeScalar(n *yaml.Node, v reflect.Value, path string) error {
	s := n.Value
	if n.Tag == "!!null" {
		v.Set(reflect.Zero(v.Type()))
		return nil
	}
	if v.Type() == durationType {
		dur, err := time.ParseDuration(s)
		if err != nil {
			return d.errAt(n, path, "%q is not a duration (use e.g. 500ms, 10s, 5m, 24h)", s)
		}
		v.SetInt(int64(dur))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil || n.Tag == "!!str" {
			return d.errAt(n, path, "%q is not true or false", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 0, 64)
		if err != nil || v.OverflowInt(i) {
			return d.errAt(n, path, "%q is not a whole number in range", s)
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		i, err := strconv.ParseUint(strings.ReplaceAll(s, "_", ""), 0, 64)
		if err != nil || v.OverflowUint(i) {
			return d.errAt(n, path, "%q is not a non-negative whole number in range", s)
		}
		v.SetUint(i)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return d.errAt(n, path, "%q is not a finite number", s)
		}
		v.SetFloat(f)
	case reflect.Interface:
		var x any
		if err := n.Decode(&x); err != nil {
			return d.errAt(n, path, "%v", err)
		}
		v.Set(reflect.ValueOf(x))
	default:
		return d.errAt(n, path, "internal: cannot decode into %s", v.Type())
	}
	return nil
}

// Options is a sensor's driver options, kept as YAML until the driver
// decodes them strictly into its own struct (sensors.Options).
type Options struct {
	file string
	path string
	node *yaml.Node
}

// Decode decodes the options into v (a pointer to a struct with yaml tags).
// Absent options leave v unchanged.
func (o Options) Decode(v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("config: Options.Decode needs a non-nil pointer")
	}
	if o.node == nil || o.node.Kind == 0 {
		return nil
	}
	return decoder{file: o.file}.decode(o.node, rv.Elem(), o.path)
}
