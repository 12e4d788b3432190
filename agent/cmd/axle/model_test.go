package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

func modelRunCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := modelCommand(args, &out, &errb)
	return code, out.String(), errb.String()
}

// modelTestFile writes a small model: float32 x[2,3] -> RESHAPE [3,2] -> y,
// plus an int8 per-channel constant input to describe.
func modelTestFile(t *testing.T) string {
	t.Helper()
	b := build.New()
	x := b.Input("x", models.Float32, []int{2, 3}, nil)
	shape := b.Const("shape", models.Int32, []int{2}, []int32{3, 2}, nil)
	y := b.Tensor("y", models.Float32, []int{3, 2}, nil)
	b.Op(ops.OpReshape, 1, []int{x, shape}, []int{y}, build.Options{Type: build.OptReshape, Fields: []build.Field{{Slot: 0, Value: []int32{3, 2}}}})
	q := b.Input("q", models.Int8, []int{2, 1}, &models.Quant{Scale: []float32{0.5, 0.25}, ZeroPoint: []int64{1, -2}, Axis: 0})
	qo := b.Tensor("qo", models.Int8, []int{2}, &models.Quant{Scale: []float32{0.5}, ZeroPoint: []int64{3}})
	qs := b.Const("qs", models.Int32, []int{1}, []int32{2}, nil)
	b.Op(ops.OpReshape, 1, []int{q, qs}, []int{qo}, build.Options{})
	b.Output(y, qo)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.tflite")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestModelDescribe(t *testing.T) {
	path := modelTestFile(t)
	code, out, errs := modelRunCLI("describe", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var d struct {
		Inputs []struct {
			Index     int             `json:"index"`
			Name      string          `json:"name"`
			DType     string          `json:"dtype"`
			Shape     []int           `json:"shape"`
			Scale     json.RawMessage `json:"scale"`
			ZeroPoint json.RawMessage `json:"zero_point"`
			Bytes     int             `json:"bytes"`
		} `json:"inputs"`
		Outputs []struct {
			Name      string          `json:"name"`
			Scale     json.RawMessage `json:"scale"`
			ZeroPoint json.RawMessage `json:"zero_point"`
		} `json:"outputs"`
		Ops []struct {
			Op      string `json:"op"`
			Version int    `json:"version"`
		} `json:"ops"`
		ArenaBytes int `json:"arena_bytes"`
		Subgraphs  int `json:"subgraphs"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(d.Inputs) != 2 || d.Inputs[0].Name != "x" || d.Inputs[0].DType != "float32" || !slices.Equal(d.Inputs[0].Shape, []int{2, 3}) || d.Inputs[0].Bytes != 24 {
		t.Errorf("inputs %+v", d.Inputs)
	}
	if string(d.Inputs[0].Scale) != "null" || string(d.Inputs[0].ZeroPoint) != "null" {
		t.Errorf("float input scale %s zero point %s, want null", d.Inputs[0].Scale, d.Inputs[0].ZeroPoint)
	}
	compact := func(m json.RawMessage) string { return strings.Join(strings.Fields(string(m)), "") }
	if compact(d.Inputs[1].Scale) != "[0.5,0.25]" || compact(d.Inputs[1].ZeroPoint) != "[1,-2]" {
		t.Errorf("per-channel input scale %s zero point %s, want arrays", d.Inputs[1].Scale, d.Inputs[1].ZeroPoint)
	}
	if string(d.Outputs[1].Scale) != "0.5" || string(d.Outputs[1].ZeroPoint) != "3" {
		t.Errorf("per-tensor output scale %s zero point %s, want scalars", d.Outputs[1].Scale, d.Outputs[1].ZeroPoint)
	}
	if len(d.Ops) != 2 || d.Ops[0].Op != "RESHAPE" || d.Ops[0].Version != 1 {
		t.Errorf("ops %+v", d.Ops)
	}
	if d.ArenaBytes <= 0 || d.Subgraphs != 1 {
		t.Errorf("arena %d subgraphs %d", d.ArenaBytes, d.Subgraphs)
	}
}

func TestModelRun(t *testing.T) {
	path := modelTestFile(t)
	dir := t.TempDir()
	in0 := filepath.Join(dir, "in0.bin")
	in1 := filepath.Join(dir, "in1.bin")
	x := make([]byte, 24)
	for i := range 6 {
		binary.LittleEndian.PutUint32(x[4*i:], math.Float32bits(float32(i)+0.5))
	}
	os.WriteFile(in0, x, 0o644)
	os.WriteFile(in1, []byte{0x80, 0x7f}, 0o644)
	outDir := filepath.Join(dir, "out")
	if code, _, errs := modelRunCLI("run", path, "--in", in0, "--in", in1, "--out-dir", outDir); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	got, err := os.ReadFile(filepath.Join(outDir, "out0.bin"))
	if err != nil || !bytes.Equal(got, x) {
		t.Errorf("out0.bin = %v (%v), want the reshaped input bytes", got, err)
	}
	if got, _ := os.ReadFile(filepath.Join(outDir, "out1.bin")); !bytes.Equal(got, []byte{0x80, 0x7f}) {
		t.Errorf("out1.bin = %v", got)
	}

	os.WriteFile(in0, x[:20], 0o644)
	code, _, errs := modelRunCLI("run", "--out-dir", outDir, "--in", in0, "--in", in1, path)
	if code != 1 || !strings.Contains(errs, `input 0 ("x", float32[2 3])`) || !strings.Contains(errs, "has 20 bytes, expected 24") {
		t.Errorf("short input: exit %d, stderr %q", code, errs)
	}
	code, _, errs = modelRunCLI("run", path, "--in", in0, "--out-dir", outDir)
	if code != 2 || !strings.Contains(errs, "2 inputs, got 1") {
		t.Errorf("missing input: exit %d, stderr %q", code, errs)
	}
	code, _, errs = modelRunCLI("run", path, "--in", in0, "--in", in1, "--out-dir", outDir, "--subgraph", "3")
	if code != 1 || !strings.Contains(errs, "subgraph 3 does not exist") {
		t.Errorf("bad subgraph: exit %d, stderr %q", code, errs)
	}
	code, _, errs = modelRunCLI("run", path, "--in", in0, "--in", in1, "--out-dir", outDir, "--signature", "nope")
	if code != 1 || !strings.Contains(errs, `no signature "nope"`) {
		t.Errorf("bad signature: exit %d, stderr %q", code, errs)
	}
}

func TestModelErrorsAndUsage(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.tflite")
	os.WriteFile(bad, []byte("not a model at all"), 0o644)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage: axle model"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"describe"}, 2, "exactly one MODEL"},
		{[]string{"describe", bad}, 1, `file identifier is "a mo"`},
		{[]string{"describe", "/nonexistent/m.tflite"}, 1, "no such file"},
		{[]string{"run", bad}, 2, "--out-dir is required"},
		{[]string{"bench", bad, "--count", "0"}, 2, "at least 1"},
		{[]string{"bench", bad, "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"run", "-h"}, 0, "--out-dir"},
		{[]string{"bench", "-h"}, 0, "-threads"},
	}
	for _, c := range cases {
		code, out, errs := modelRunCLI(c.args...)
		if code != c.code || !strings.Contains(out+errs, strings.TrimPrefix(c.want, "-")) {
			t.Errorf("%v: exit %d, output %q %q; want exit %d mentioning %q", c.args, code, out, errs, c.code, c.want)
		}
		if strings.Contains(errs, "goroutine ") {
			t.Errorf("%v: panic trace on stderr", c.args)
		}
	}
}

func TestModelBench(t *testing.T) {
	path := modelTestFile(t)
	code, out, errs := modelRunCLI("bench", path, "--count", "20", "--threads", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r struct {
		Count  int      `json:"count"`
		Min    float64  `json:"min_us"`
		Median float64  `json:"median_us"`
		Mean   float64  `json:"mean_us"`
		Allocs *float64 `json:"allocs_per_invoke"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if r.Count != 20 || r.Min <= 0 || r.Median < r.Min || r.Mean < r.Min || r.Allocs == nil {
		t.Errorf("bench result %+v", r)
	}
}

// TestModelRunConformance reproduces, through `axle model run`, the golden
// outputs of every conformance case that is expected to pass (not listed
// in the known-failures file), for models up to 1 MiB.
func TestModelRunConformance(t *testing.T) {
	dir := os.Getenv("AXLE_CONFORMANCE_DIR")
	if dir == "" {
		t.Skip("AXLE_CONFORMANCE_DIR is not set")
	}
	known := map[string]bool{}
	f, err := os.Open("../../../models/tflite/testdata/conformance_known_failures.txt")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			name, _, _ := strings.Cut(line, " ")
			known[name] = true
		}
	}
	f.Close()
	cases, _ := filepath.Glob(filepath.Join(dir, "*", "*", "case.json"))
	ran := 0
	for _, cj := range cases {
		caseDir := filepath.Dir(cj)
		rel, _ := filepath.Rel(dir, caseDir)
		if known[filepath.ToSlash(rel)] {
			continue
		}
		raw, _ := os.ReadFile(cj)
		var c struct {
			Model     string `json:"model"`
			Bytes     int    `json:"model_bytes"`
			Expect    string `json:"expect"`
			Signature string `json:"signature"`
			Subgraph  *int   `json:"subgraph"`
			Inputs    []struct {
				File  string `json:"file"`
				Shape []int  `json:"shape"`
			} `json:"inputs"`
			Outputs []struct {
				File      *string `json:"file"`
				DType     string  `json:"dtype"`
				Tolerance struct {
					Abs float64 `json:"abs"`
				} `json:"tolerance"`
			} `json:"outputs"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		hasGolden := false
		for _, o := range c.Outputs {
			hasGolden = hasGolden || o.File != nil
		}
		if c.Expect != "" || !hasGolden || c.Bytes > 1<<20 {
			continue
		}
		args := []string{"run", filepath.Join(caseDir, c.Model), "--out-dir", filepath.Join(t.TempDir(), "out")}
		for _, in := range c.Inputs {
			args = append(args, "--in", filepath.Join(caseDir, in.File))
		}
		switch {
		case c.Signature != "":
			args = append(args, "--signature", c.Signature)
		case c.Subgraph != nil:
			args = append(args, "--subgraph", strconv.Itoa(*c.Subgraph))
		}
		code, _, errs := modelRunCLI(args...)
		if code != 0 {
			// Cases whose inputs need a resize are run by TestConformance only.
			if strings.Contains(errs, "expected") {
				continue
			}
			t.Errorf("%s: exit %d: %s", rel, code, errs)
			continue
		}
		ran++
		for i, o := range c.Outputs {
			if o.File == nil {
				continue
			}
			got, _ := os.ReadFile(filepath.Join(args[3], "out"+strconv.Itoa(i)+".bin"))
			want, _ := os.ReadFile(filepath.Join(caseDir, *o.File))
			dt, _ := models.ParseDType(o.DType)
			if d, ok := modelMaxDiff(got, want, dt); !ok || d > o.Tolerance.Abs {
				t.Errorf("%s: out%d differs from the golden by %g (tolerance %g, comparable %v)", rel, i, d, o.Tolerance.Abs, ok)
			}
		}
	}
	t.Logf("%d conformance cases reproduced through axle model run", ran)
}

func modelMaxDiff(a, b []byte, dt models.DType) (float64, bool) {
	size := dt.Size()
	if size == 0 || len(a) != len(b) || len(a)%size != 0 {
		return 0, false
	}
	le := binary.LittleEndian
	val := func(p []byte) float64 {
		switch dt {
		case models.Float32:
			return float64(math.Float32frombits(le.Uint32(p)))
		case models.Int8:
			return float64(int8(p[0]))
		case models.Int16:
			return float64(int16(le.Uint16(p)))
		case models.Int32:
			return float64(int32(le.Uint32(p)))
		case models.Int64:
			return float64(int64(le.Uint64(p)))
		}
		return float64(p[0]) // uint8, bool
	}
	var d float64
	for i := 0; i < len(a); i += size {
		d = max(d, math.Abs(val(a[i:])-val(b[i:])))
	}
	return d, true
}
