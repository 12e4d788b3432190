package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// maxDepth bounds the nesting of one instance ([[1,2],[3,4]] is depth 2):
// tensors of real models have a handful of dimensions.
const maxDepth = 8

// predictRequest is a decoded TensorFlow Serving predict body: one flat
// input vector per instance. Columnar records which form was used, because
// TF Serving answers the row form with "predictions" and the columnar form
// with "outputs".
type predictRequest struct {
	Instances [][]float32
	Columnar  bool
}

// decodePredict decodes a predict body: {"instances": [...]} (row format)
// or {"inputs": [...]} (columnar format, a batch of one unnamed input), with
// an optional "signature_name" of "serving_default". Each instance is a
// number or a rectangular nested list of numbers, flattened in row-major
// order; all instances must have the same shape. Errors name the field.
func decodePredict(body []byte) (predictRequest, error) {
	var top struct {
		SignatureName string          `json:"signature_name"`
		Instances     json.RawMessage `json:"instances"`
		Inputs        json.RawMessage `json:"inputs"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&top); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Field == "" {
				return predictRequest{}, errors.New("body: must be a JSON object with \"instances\" or \"inputs\"")
			}
			return predictRequest{}, fmt.Errorf("field %q: %s is not a %s", te.Field, te.Value, te.Type)
		}
		if err == io.EOF {
			return predictRequest{}, errors.New("body: empty; send {\"instances\": [...]} or {\"inputs\": [...]}")
		}
		return predictRequest{}, fmt.Errorf("body: %s", trimJSON(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return predictRequest{}, errors.New("body: data after the JSON object")
	}
	if top.SignatureName != "" && top.SignatureName != "serving_default" {
		return predictRequest{}, fmt.Errorf("field \"signature_name\": %q is not served; omit it or use \"serving_default\"", top.SignatureName)
	}
	hasRows, hasCols := len(top.Instances) > 0, len(top.Inputs) > 0
	var field string
	var raw json.RawMessage
	switch {
	case hasRows && hasCols:
		return predictRequest{}, errors.New("body: has both \"instances\" and \"inputs\"; send one")
	case hasRows:
		field, raw = "instances", top.Instances
	case hasCols:
		field, raw = "inputs", top.Inputs
	default:
		return predictRequest{}, errors.New("body: missing \"instances\" (row format) or \"inputs\" (columnar format)")
	}
	// Stream the numbers straight into float32s: decoding into []any first
	// would cost some 20 bytes per number, many times the body size.
	dec = json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return predictRequest{}, fmt.Errorf("field %q: %s", field, trimJSON(err))
	}
	switch tok {
	case json.Delim('['):
	case json.Delim('{'):
		return predictRequest{}, fmt.Errorf("field %q: named inputs are not supported; the model has one input, send a list", field)
	case nil:
		return predictRequest{}, fmt.Errorf("field %q: is null; want a list with one entry per instance", field)
	default:
		return predictRequest{}, fmt.Errorf("field %q: want a list with one entry per instance, got %s", field, kind(tok))
	}
	var shape []int // of the first instance, below the batch dimension
	out := predictRequest{Columnar: hasCols}
	for i := 0; dec.More(); i++ {
		f := flattener{dec: dec, path: []int{i}}
		if i > 0 {
			f.want = shape
		}
		err := f.walk(0)
		if err == nil && i > 0 && !slices.Equal(f.shape, shape) {
			err = errShape
		}
		if errors.Is(err, errShape) {
			return predictRequest{}, fmt.Errorf("%s[%d]: shape differs from %s[0]'s %v", field, i, field, shape)
		}
		if err != nil {
			return predictRequest{}, fmt.Errorf("%s%s", field, err)
		}
		if i == 0 {
			shape = f.shape
		}
		out.Instances = append(out.Instances, f.vals)
	}
	if len(out.Instances) == 0 {
		return predictRequest{}, fmt.Errorf("field %q: is empty", field)
	}
	return out, nil
}

// errShape is the flattener's signal that an instance's shape differs from
// the first one's; decodePredict names both in the error.
var errShape = errors.New("shape differs")

// flattener reads one instance from the token stream, collecting its
// numbers and checking that it is rectangular and (when want is set) has
// the first instance's shape. Its errors start with the index path
// ("[2][0]: ..."); the field name goes in front.
type flattener struct {
	dec   *json.Decoder
	path  []int // indices from the batch down to the current value
	want  []int // the shape every instance must have; nil for the first
	shape []int // the shape seen so far, per depth
	vals  []float32
}

func (f *flattener) errorf(format string, args ...any) error {
	var b strings.Builder
	for _, i := range f.path {
		b.WriteString("[" + strconv.Itoa(i) + "]")
	}
	return fmt.Errorf("%s: %s", b.String(), fmt.Sprintf(format, args...))
}

// walk reads the next value, at depth below the batch dimension.
func (f *flattener) walk(depth int) error {
	tok, err := f.dec.Token()
	if err != nil {
		return f.errorf("%s", trimJSON(err))
	}
	switch x := tok.(type) {
	case float64:
		if depth < len(f.shape) {
			return f.errorf("a number where a list of %d was expected (ragged)", f.shape[depth])
		}
		if math.Abs(x) > math.MaxFloat32 {
			return f.errorf("%g is out of float32 range", x)
		}
		f.vals = append(f.vals, float32(x))
		return nil
	case json.Delim:
		if x != '[' {
			return f.errorf("want a number or a list of numbers, got an object")
		}
	default:
		return f.errorf("want a number or a list of numbers, got %s", kind(tok))
	}
	if depth >= maxDepth {
		return f.errorf("nested deeper than %d", maxDepth)
	}
	first := depth == len(f.shape) && len(f.vals) == 0 // the first list at this depth
	if !first && depth >= len(f.shape) {
		return f.errorf("a list where a number was expected (ragged)")
	}
	n := 0
	f.path = append(f.path, 0)
	for ; f.dec.More(); n++ {
		f.path[len(f.path)-1] = n
		if first && n == 0 {
			f.shape = append(f.shape, 0) // length known at the closing bracket
		}
		if err := f.walk(depth + 1); err != nil {
			return err
		}
	}
	f.path = f.path[:len(f.path)-1]
	if _, err := f.dec.Token(); err != nil { // the closing ']'
		return f.errorf("%s", trimJSON(err))
	}
	switch {
	case n == 0:
		return f.errorf("is empty")
	case first:
		f.shape[depth] = n
		if f.want != nil && (depth >= len(f.want) || n != f.want[depth]) {
			return errShape
		}
	case n != f.shape[depth]:
		return f.errorf("has %d entries, its siblings %d (ragged)", n, f.shape[depth])
	}
	return nil
}

func kind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string " + strconv.Quote(x)
	case float64:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

func trimJSON(err error) string {
	s := err.Error()
	if len(s) > 5 && s[:6] == "json: " {
		return s[6:]
	}
	return s
}

// encodePredictions writes {"predictions": [[...], ...]} (or "outputs" for
// the columnar form). Non-finite values, which JSON cannot carry, become
// null.
func encodePredictions(preds [][]float32, columnar bool) []byte {
	key := "predictions"
	if columnar {
		key = "outputs"
	}
	b := make([]byte, 0, 32+len(preds)*16)
	b = append(b, `{"`...)
	b = append(b, key...)
	b = append(b, `":[`...)
	for i, p := range preds {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for j, v := range p {
			if j > 0 {
				b = append(b, ',')
			}
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				b = append(b, "null"...)
				continue
			}
			b = strconv.AppendFloat(b, float64(v), 'g', -1, 32)
		}
		b = append(b, ']')
	}
	return append(b, "]}\n"...)
}
