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
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return predictRequest{}, fmt.Errorf("field %q: %s", field, trimJSON(err))
	}
	list, ok := v.([]any)
	switch {
	case v == nil:
		return predictRequest{}, fmt.Errorf("field %q: is null; want a list with one entry per instance", field)
	case !ok:
		if _, named := v.(map[string]any); named {
			return predictRequest{}, fmt.Errorf("field %q: named inputs are not supported; the model has one input, send a list", field)
		}
		return predictRequest{}, fmt.Errorf("field %q: want a list with one entry per instance, got %s", field, kind(v))
	case len(list) == 0:
		return predictRequest{}, fmt.Errorf("field %q: is empty", field)
	}
	var shape []int // of the first instance, below the batch dimension
	out := predictRequest{Instances: make([][]float32, len(list)), Columnar: hasCols}
	for i, inst := range list {
		var f flattener
		if i > 0 {
			f.want = shape
		}
		path := fmt.Sprintf("%s[%d]", field, i)
		err := f.walk(inst, 0, path)
		if err == nil && i > 0 && !slices.Equal(f.shape, shape) {
			err = errShape
		}
		if errors.Is(err, errShape) {
			return predictRequest{}, fmt.Errorf("%s: shape differs from %s[0]'s %v", path, field, shape)
		}
		if err != nil {
			return predictRequest{}, err
		}
		if i == 0 {
			shape = f.shape
		}
		out.Instances[i] = f.vals
	}
	return out, nil
}

// errShape is the flattener's signal that an instance's shape differs from
// the first one's; decodePredict names both in the error.
var errShape = errors.New("shape differs")

// flattener walks one instance, collecting its numbers and checking that
// it is rectangular and (when want is set) has the first instance's shape.
type flattener struct {
	want  []int // the shape every instance must have; nil for the first
	shape []int // the shape seen so far, per depth
	vals  []float32
}

func (f *flattener) walk(v any, depth int, path string) error {
	switch x := v.(type) {
	case float64:
		if depth < len(f.shape) {
			return fmt.Errorf("%s: a number where a list of %d was expected (ragged)", path, f.shape[depth])
		}
		if math.Abs(x) > math.MaxFloat32 {
			return fmt.Errorf("%s: %g is out of float32 range", path, x)
		}
		f.vals = append(f.vals, float32(x))
		return nil
	case []any:
		if depth >= maxDepth {
			return fmt.Errorf("%s: nested deeper than %d", path, maxDepth)
		}
		switch {
		case depth < len(f.shape):
			if len(x) != f.shape[depth] {
				return fmt.Errorf("%s: has %d entries, its siblings %d (ragged)", path, len(x), f.shape[depth])
			}
		case depth == len(f.shape) && len(f.vals) == 0:
			if f.want != nil && (depth >= len(f.want) || len(x) != f.want[depth]) {
				return errShape
			}
			f.shape = append(f.shape, len(x))
		default:
			return fmt.Errorf("%s: a list where a number was expected (ragged)", path)
		}
		if len(x) == 0 {
			return fmt.Errorf("%s: is empty", path)
		}
		for i, e := range x {
			if err := f.walk(e, depth+1, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
		return nil
	default:
		return fmt.Errorf("%s: want a number or a list of numbers, got %s", path, kind(v))
	}
}

func kind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string " + strconv.Quote(x)
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
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
