package flexbuf

import (
	"encoding/hex"
	"errors"
	"math"
	"reflect"
	"testing"
)

// Custom options written by the TFLite converter and TFLite Micro's signal
// library, copied from models in the conformance corpus (operator options
// are data, not code).
var realOptions = map[string]string{
	"detection_postprocess": "795f7363616c65005f6f75747075745f7175616e74697a6564006d61785f646574656374696f6e73006e6d735f73636f72655f7468726573686f6c6400775f7363616c6500785f7363616c65006e6d735f696f755f7468726573686f6c6400685f7363616c65006d61785f636c61737365735f7065725f646574656374696f6e006e756d5f636c6173736573000a86302977456a135851970a000000010000000a000000010000000000a040010000000a0000009a99193f77cc2b325a0000000000a04000002041000020416a0e06060e0e060e0e0e322601",
	"spectral_subtraction":  "616c7465726e6174655f6f6e655f6d696e75735f736d6f6f7468696e6700616c7465726e6174655f736d6f6f7468696e6700636c616d70696e67006d696e5f7369676e616c5f72656d61696e696e67006e756d5f6368616e6e656c73006f6e655f6d696e75735f736d6f6f7468696e6700736d6f6f7468696e6700736d6f6f7468696e675f6269747300737065637472616c5f7375627472616374696f6e5f626974730009a588756d594d3a3123090001000900293cd703000033032800673e99010a000e000505690505050505051b2501",
	"rfft":                  "54006666745f6c656e67746800020e0d020001000200070000020505062501",
	"energy":                "656e645f696e6465780073746172745f696e6465780002170e00030001000200f10005000505062501",
	"filter_bank_log":       "696e7075745f636f7272656374696f6e5f62697473006f75747075745f7363616c650002240f02010203400404042401",
	"window":                "73686966740001070101010c04022401",
	"empty_map":             "00000100002401",
}

func realBytes(t testing.TB, name string) []byte {
	b, err := hex.DecodeString(realOptions[name])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rootMap(t *testing.T, b []byte) Map {
	t.Helper()
	r, err := Root(b)
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.Map()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func getInt(t *testing.T, m Map, key string) int64 {
	t.Helper()
	v, ok, err := m.Get(key)
	if err != nil || !ok {
		t.Fatalf("%s: ok=%v err=%v", key, ok, err)
	}
	i, err := v.Int()
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return i
}

func getFloat(t *testing.T, m Map, key string) float64 {
	t.Helper()
	v, ok, err := m.Get(key)
	if err != nil || !ok {
		t.Fatalf("%s: ok=%v err=%v", key, ok, err)
	}
	f, err := v.Float()
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return f
}

func TestRealOptions(t *testing.T) {
	m := rootMap(t, realBytes(t, "detection_postprocess"))
	if m.Len() != 10 {
		t.Fatalf("detection options have %d keys, want 10", m.Len())
	}
	for k, want := range map[string]int64{"max_detections": 10, "max_classes_per_detection": 1, "num_classes": 90} {
		if got := getInt(t, m, k); got != want {
			t.Errorf("%s = %d, want %d", k, got, want)
		}
	}
	for k, want := range map[string]float64{"y_scale": 10, "x_scale": 10, "h_scale": 5, "w_scale": 5, "nms_iou_threshold": 0.6, "nms_score_threshold": 1e-8} {
		if got := getFloat(t, m, k); math.Abs(got-want) > want*1e-6 {
			t.Errorf("%s = %g, want %g", k, got, want)
		}
	}
	v, _, _ := m.Get("_output_quantized")
	if b, err := v.Bool(); err != nil || !b || v.Type() != TypeBool {
		t.Errorf("_output_quantized = %v (%v, %v), want true bool", b, v.Type(), err)
	}
	if _, ok, err := m.Get("use_regular_nms"); ok || err != nil {
		t.Errorf("absent key: ok=%v err=%v", ok, err)
	}

	m = rootMap(t, realBytes(t, "spectral_subtraction"))
	for k, want := range map[string]int64{"alternate_one_minus_smoothing": 15401, "alternate_smoothing": 983,
		"clamping": 0, "min_signal_remaining": 819, "num_channels": 40, "one_minus_smoothing": 15975,
		"smoothing": 409, "smoothing_bits": 10, "spectral_subtraction_bits": 14} {
		if got := getInt(t, m, k); got != want {
			t.Errorf("%s = %d, want %d", k, got, want)
		}
	}
	if got := getInt(t, rootMap(t, realBytes(t, "rfft")), "fft_length"); got != 512 {
		t.Errorf("fft_length = %d", got)
	}
	if got := getInt(t, rootMap(t, realBytes(t, "energy")), "end_index"); got != 241 {
		t.Errorf("end_index = %d", got)
	}
	if got := getInt(t, rootMap(t, realBytes(t, "window")), "shift"); got != 12 {
		t.Errorf("shift = %d", got)
	}
	if m := rootMap(t, realBytes(t, "empty_map")); m.Len() != 0 {
		t.Errorf("empty map has %d entries", m.Len())
	}
	keys := rootMap(t, realBytes(t, "filter_bank_log"))
	if k, err := keys.Key(1); err != nil || k != "output_scale" {
		t.Errorf("key 1 = %q, %v", k, err)
	}
}

func TestRoundTrip(t *testing.T) {
	in := Entries{
		"i8": int8(-7), "i": 100, "big": int64(-1 << 40), "u": uint32(200),
		"f32": float32(0.25), "f64": 1e300, "t": true, "f": false, "nil": nil,
		"s": "hello", "blob": Blob{1, 2, 3},
		"ints": []int32{-1, 2, 300000}, "i64s": []int64{5}, "floats": []float32{1.5, -2},
		"f64s": []float64{3.25}, "bytes": []byte{9, 8}, "bools": []bool{true, false},
		"mixed":  []any{1, "two", 3.5, []int32{4}, Entries{"k": 5}},
		"nested": Entries{"a": Entries{"b": -3}},
	}
	for _, w := range []int{1, 2, 4, 8} {
		b, err := EncodeWidth(in, w)
		if w < 8 {
			// int64(-1<<40), 1e300 and 300000 need 8 bytes.
			if err == nil {
				t.Fatalf("width %d: want a width error", w)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		m := rootMap(t, b)
		got := decodeAll(t, m)
		want := map[string]any{
			"i8": int64(-7), "i": int64(100), "big": int64(-1 << 40), "u": int64(200),
			"f32": 0.25, "f64": 1e300, "t": true, "f": false, "nil": nil,
			"s": "hello", "blob": []byte{1, 2, 3},
			"ints": []int64{-1, 2, 300000}, "i64s": []int64{5}, "floats": []float64{1.5, -2},
			"f64s": []float64{3.25}, "bytes": []int64{9, 8}, "bools": []int64{1, 0},
			"mixed":  []any{int64(1), "two", 3.5, []int64{4}, map[string]any{"k": int64(5)}},
			"nested": map[string]any{"a": map[string]any{"b": int64(-3)}},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("width %d:\n got %#v\nwant %#v", w, got, want)
		}
	}
	// Encode picks the narrowest width that fits.
	small := Entries{"shift": 12}
	b, err := Encode(small)
	if err != nil {
		t.Fatal(err)
	}
	if b[len(b)-1] != 1 {
		t.Errorf("root width %d, want 1", b[len(b)-1])
	}
	if got := getInt(t, rootMap(t, b), "shift"); got != 12 {
		t.Errorf("shift = %d", got)
	}
	b, err = Encode(Entries{"x": float32(2.5), "n": 70000})
	if err != nil {
		t.Fatal(err)
	}
	if b[len(b)-1] != 4 || getFloat(t, rootMap(t, b), "x") != 2.5 || getInt(t, rootMap(t, b), "n") != 70000 {
		t.Errorf("width-4 map decoded wrong: % x", b)
	}
	if _, err := Encode(struct{}{}); err == nil {
		t.Error("encoding a struct must fail")
	}
}

// decodeAll converts a decoded value into plain Go values for comparison.
func decodeAll(t *testing.T, m Map) map[string]any {
	out := map[string]any{}
	for i := 0; i < m.Len(); i++ {
		k, err := m.Key(i)
		if err != nil {
			t.Fatal(err)
		}
		v, err := m.Value(i)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = plain(t, v)
	}
	return out
}

func plain(t *testing.T, v Value) any {
	var (
		x   any
		err error
	)
	switch v.Type() {
	case TypeNull:
		return nil
	case TypeInt, TypeUint:
		x, err = v.Int()
	case TypeFloat:
		x, err = v.Float()
	case TypeBool:
		x, err = v.Bool()
	case TypeString:
		x, err = v.Str()
	case TypeBlob:
		x, err = v.Blob()
	case TypeMap:
		var m Map
		if m, err = v.Map(); err == nil {
			x = decodeAll(t, m)
		}
	case TypeVectorInt, TypeVectorUint, TypeVectorBool:
		var vec Vector
		if vec, err = v.Vector(); err == nil {
			x, err = vec.Ints()
		}
	case TypeVectorFloat:
		var vec Vector
		if vec, err = v.Vector(); err == nil {
			x, err = vec.Floats()
		}
	case TypeVector:
		var vec Vector
		if vec, err = v.Vector(); err == nil {
			var xs []any
			for i := 0; i < vec.Len(); i++ {
				e, err := vec.At(i)
				if err != nil {
					t.Fatal(err)
				}
				xs = append(xs, plain(t, e))
			}
			x = xs
		}
	default:
		t.Fatalf("unexpected type %v", v.Type())
	}
	if err != nil {
		t.Fatalf("%v: %v", v.Type(), err)
	}
	return x
}

func TestMalformed(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":           nil,
		"two bytes":       {0x24, 0x01},
		"bad root width":  {0, 0x24, 3},
		"root too wide":   {0, 0x24, 8},
		"unknown type":    {0, 0xfc, 1},
		"offset too far":  {0x40, 0x24, 1},
		"vector too long": {0xff, 0x01, 0x24, 1},
	} {
		r, err := Root(b)
		if err == nil {
			_, err = r.Map()
		}
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if name != "unknown type" && !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v does not wrap ErrMalformed", name, err)
		}
	}
	// A keys vector that disagrees with the values vector.
	b := realBytes(t, "window")
	b[6] = 2 // keys size
	if r, err := Root(b); err != nil {
		t.Fatal(err)
	} else if _, err := r.Map(); err == nil {
		t.Error("keys/values size mismatch not reported")
	}
	// Type mismatches name the type found.
	r, _ := Root(realBytes(t, "window"))
	if _, err := r.Int(); err == nil || err.Error() != "flexbuf: map at offset 13 is not a number" {
		t.Errorf("Int on a map: %v", err)
	}
	if _, err := r.Str(); err == nil {
		t.Error("Str on a map must fail")
	}
	v, _, _ := rootMap(t, realBytes(t, "window")).Get("shift")
	if _, err := v.Vector(); err == nil {
		t.Error("Vector on an int must fail")
	}
	if _, err := v.Map(); err == nil {
		t.Error("Map on an int must fail")
	}
}

// TestTruncatedAndFlipped: every prefix and every single-byte change of the
// real options is either read or rejected, never a panic.
func TestTruncatedAndFlipped(t *testing.T) {
	for name := range realOptions {
		b := realBytes(t, name)
		for n := 0; n <= len(b); n++ {
			walk(append([]byte(nil), b[:n]...))
		}
		for i := range b {
			for _, x := range []byte{0x00, 0xff, 0x80, 0x01, b[i] ^ 0x10} {
				c := append([]byte(nil), b...)
				c[i] = x
				walk(c)
			}
		}
	}
}

// walk reads everything reachable, to a bounded depth (offsets of 0 make
// cycles).
func walk(b []byte) {
	r, err := Root(b)
	if err != nil {
		return
	}
	walkValue(r, 0)
}

func walkValue(v Value, depth int) {
	if depth > 8 {
		return
	}
	_, _ = v.Int()
	_, _ = v.Float()
	_, _ = v.Bool()
	_, _ = v.Str()
	_, _ = v.Blob()
	if m, err := v.Map(); err == nil {
		for i := 0; i < m.Len() && i < 64; i++ {
			_, _ = m.Key(i)
		}
		_, _, _ = m.Get("num_channels")
	}
	if vec, err := v.Vector(); err == nil {
		_, _ = vec.Ints()
		_, _ = vec.Floats()
		for i := 0; i < vec.Len() && i < 64; i++ {
			if e, err := vec.At(i); err == nil {
				walkValue(e, depth+1)
			}
		}
	}
}

func FuzzRoot(f *testing.F) {
	for name := range realOptions {
		f.Add(realBytes(f, name))
	}
	for _, w := range []int{1, 2, 4, 8} {
		b, err := EncodeWidth(Entries{"a": []any{int8(1), "s", Entries{"k": []int32{1}}}, "b": Blob{7}}, w)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		walk(b)
	})
}
