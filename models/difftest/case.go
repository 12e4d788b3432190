package difftest

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflite"
)

// Tensor is one input or output value: little-endian bytes of DType.
type Tensor struct {
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
	Data  []byte `json:"data"`
}

// Case is one generated model with its inputs.
type Case struct {
	Op     string   // generator name, e.g. "CONV_2D" or "chain_conv_pool_fc"
	Type   string   // type variant, e.g. "int8" or "int16x8"
	Seed   uint64   // what Generate was called with
	Model  []byte   // the .tflite file
	Inputs []Tensor // one per model input, in order
	// Tol is the relative tolerance for float outputs (see Compare).
	Tol float64
}

// Golden is a Case's inputs with TFLite's outputs, as stored next to the
// model in testdata/cases/<name>.json.
type Golden struct {
	Op      string   `json:"op"`
	Type    string   `json:"type"`
	Seed    uint64   `json:"seed"`
	Tol     float64  `json:"tolerance"`
	Inputs  []Tensor `json:"inputs"`
	Outputs []Tensor `json:"outputs"`
}

// DefaultTol is the relative tolerance for float outputs of ops without a
// documented one of their own.
const DefaultTol = 1e-5

// absFloor is the magnitude below which float values are judged as if they
// had this magnitude.
const absFloor = 0.01

// MaxBytes is the memory limit the interpreter runs generated models with;
// every generated model needs far less.
const MaxBytes = 8 << 20

// RunGo runs c on the pure-Go interpreter, one thread, and returns copies of
// its outputs.
func RunGo(ctx context.Context, c *Case) ([]Tensor, error) {
	it, err := tflite.Load(c.Model, models.Options{Threads: 1, MaxBytes: MaxBytes})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	ins := it.Inputs()
	if len(ins) != len(c.Inputs) {
		return nil, fmt.Errorf("difftest: model has %d inputs, case has %d", len(ins), len(c.Inputs))
	}
	for i, in := range c.Inputs {
		dst := it.Input(i)
		if len(dst) != len(in.Data) {
			return nil, fmt.Errorf("difftest: input %d is %d bytes, case has %d", i, len(dst), len(in.Data))
		}
		copy(dst, in.Data)
	}
	if err := it.Invoke(ctx); err != nil {
		return nil, err
	}
	outs := it.Outputs()
	res := make([]Tensor, len(outs))
	for i, o := range outs {
		res[i] = Tensor{DType: o.DType.String(), Shape: append([]int{}, o.Shape...), Data: append([]byte{}, it.Output(i)...)}
	}
	return res, nil
}

// Compare checks got against want: same count, dtypes and shapes; integer
// and bool data bit-exact; float32 within tol relative to the largest of
// the expected value, 1/16 of the output's peak magnitude and absFloor (so a
// value that is a small difference of large terms, such as GELU far left of
// zero in float32, is not judged on its own size), NaN only where want has
// NaN. The error names the output, the first differing
// element and how many differ.
func Compare(got, want []Tensor, tol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("difftest: %d outputs, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.DType != w.DType || !equalInts(g.Shape, w.Shape) {
			return fmt.Errorf("difftest: output %d is %s%v, want %s%v", i, g.DType, g.Shape, w.DType, w.Shape)
		}
		if len(g.Data) != len(w.Data) {
			return fmt.Errorf("difftest: output %d has %d bytes, want %d", i, len(g.Data), len(w.Data))
		}
		dt, err := models.ParseDType(w.DType)
		if err != nil {
			return fmt.Errorf("difftest: output %d: %w", i, err)
		}
		if err := compareData(dt, g.Data, w.Data, tol, w.Shape); err != nil {
			return fmt.Errorf("difftest: output %d (%s%v): %w", i, w.DType, w.Shape, err)
		}
	}
	return nil
}

func compareData(dt models.DType, g, w []byte, tol float64, shape []int) error {
	if dt != models.Float32 && dt != models.Complex64 {
		size := dt.Size()
		if size == 0 {
			return fmt.Errorf("no comparison for %s", dt)
		}
		first, count := -1, 0
		for k := 0; k+size <= len(w); k += size {
			if string(g[k:k+size]) != string(w[k:k+size]) {
				if first < 0 {
					first = k / size
				}
				count++
			}
		}
		if count > 0 {
			return fmt.Errorf("%d of %d elements differ; first at %v: got %s, want %s",
				count, len(w)/size, unravel(first, shape), fmtElem(dt, g, first), fmtElem(dt, w, first))
		}
		return nil
	}
	n := len(w) / 4
	peak := 0.0
	for k := 0; k < n; k++ {
		if v := math.Abs(float64(f32(w, k))); !math.IsInf(v, 0) && !math.IsNaN(v) && v > peak {
			peak = v
		}
	}
	first, count, worst := -1, 0, 0.0
	for k := 0; k < n; k++ {
		gv, wv := float64(f32(g, k)), float64(f32(w, k))
		ok := false
		switch {
		case math.IsNaN(wv) || math.IsNaN(gv):
			ok = math.IsNaN(wv) && math.IsNaN(gv)
		case math.IsInf(wv, 0) || math.IsInf(gv, 0):
			ok = gv == wv
		default:
			d := math.Abs(gv - wv)
			allowed := tol * math.Max(math.Max(math.Abs(wv), peak/16), absFloor)
			ok = d <= allowed
			if !ok && allowed > 0 && d/allowed > worst {
				worst = d / allowed
			}
		}
		if !ok {
			if first < 0 {
				first = k
			}
			count++
		}
	}
	if count > 0 {
		elems := n
		if dt == models.Complex64 {
			shape = append(append([]int{}, shape...), 2)
		}
		return fmt.Errorf("%d of %d values outside tolerance %g; first at %v: got %g, want %g (worst %.3gx the tolerance)",
			count, elems, tol, unravel(first, shape), f32(g, first), f32(w, first), worst)
	}
	return nil
}

func f32(b []byte, k int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b[4*k:])) }

func fmtElem(dt models.DType, b []byte, k int) string {
	size := dt.Size()
	e := b[k*size : (k+1)*size]
	switch dt {
	case models.Int8:
		return fmt.Sprint(int8(e[0]))
	case models.UInt8, models.Bool:
		return fmt.Sprint(e[0])
	case models.Int16:
		return fmt.Sprint(int16(binary.LittleEndian.Uint16(e)))
	case models.Int32:
		return fmt.Sprint(int32(binary.LittleEndian.Uint32(e)))
	case models.Int64:
		return fmt.Sprint(int64(binary.LittleEndian.Uint64(e)))
	}
	return fmt.Sprintf("%x", e)
}

// unravel turns a flat index into coordinates of shape.
func unravel(k int, shape []int) []int {
	idx := make([]int, len(shape))
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] > 0 {
			idx[i] = k % shape[i]
			k /= shape[i]
		}
	}
	return idx
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Name is the case's file stem: <op>_<type>_<n>.
func Name(op, typ string, n int) string {
	return fmt.Sprintf("%s_%s_%d", strings.ToLower(op), typ, n)
}

// WriteCase stores c and TFLite's outputs as dir/<name>.tflite and
// dir/<name>.json.
func WriteCase(dir, name string, c *Case, outputs []Tensor) error {
	g := Golden{Op: c.Op, Type: c.Type, Seed: c.Seed, Tol: c.Tol, Inputs: c.Inputs, Outputs: outputs}
	js, err := json.Marshal(g)
	if err != nil {
		return fmt.Errorf("difftest: %s: %w", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".tflite"), c.Model, 0o644); err != nil {
		return fmt.Errorf("difftest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".json"), append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("difftest: %w", err)
	}
	return nil
}

// StoredCase is a case read back from testdata.
type StoredCase struct {
	Name string
	Case *Case
	Want []Tensor
}

// maxGoldenBytes bounds a golden file; generated cases are a few KB.
const maxGoldenBytes = 1 << 20

// ReadCases loads every <name>.json with its <name>.tflite from dir, sorted
// by name.
func ReadCases(dir string) ([]StoredCase, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("difftest: %w", err)
	}
	sort.Strings(names)
	var out []StoredCase
	for _, js := range names {
		name := strings.TrimSuffix(filepath.Base(js), ".json")
		sc, err := readCase(dir, name)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}

func readCase(dir, name string) (StoredCase, error) {
	js := filepath.Join(dir, name+".json")
	st, err := os.Stat(js)
	if err != nil {
		return StoredCase{}, fmt.Errorf("difftest: %w", err)
	}
	if st.Size() > maxGoldenBytes {
		return StoredCase{}, fmt.Errorf("difftest: %s: %d bytes, more than the %d a golden may have", js, st.Size(), maxGoldenBytes)
	}
	raw, err := os.ReadFile(js)
	if err != nil {
		return StoredCase{}, fmt.Errorf("difftest: %w", err)
	}
	var g Golden
	if err := json.Unmarshal(raw, &g); err != nil {
		return StoredCase{}, fmt.Errorf("difftest: %s: %w", js, err)
	}
	if len(g.Outputs) == 0 {
		return StoredCase{}, fmt.Errorf("difftest: %s: no outputs", js)
	}
	model, err := os.ReadFile(filepath.Join(dir, name+".tflite"))
	if err != nil {
		return StoredCase{}, fmt.Errorf("difftest: %s: %w", name, err)
	}
	if g.Tol <= 0 {
		return StoredCase{}, errors.New("difftest: " + js + ": tolerance must be positive")
	}
	c := &Case{Op: g.Op, Type: g.Type, Seed: g.Seed, Model: model, Inputs: g.Inputs, Tol: g.Tol}
	return StoredCase{Name: name, Case: c, Want: g.Outputs}, nil
}
