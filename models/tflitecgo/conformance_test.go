//go:build tflite

package tflitecgo

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/axle-edge/axle/models"
)

// The conformance corpus ($AXLE_CONFORMANCE_DIR, format in its README)
// through the C runtime: without a delegate within the corpus tolerances,
// with XNNPACK within one quantisation step for integer outputs and
// max(case tolerance, 1e-3 of the golden's range) for float outputs.
// Every case where XNNPACK's result is not bit-identical to the builtin
// kernels' is listed in the log.

type cTensor struct {
	Name      string  `json:"name"`
	File      *string `json:"file"`
	DType     string  `json:"dtype"`
	Shape     []int   `json:"shape"`
	Argmax    *int    `json:"argmax"`
	Tolerance *struct {
		Abs float64 `json:"abs"`
	} `json:"tolerance"`
}

type cCase struct {
	Model     string    `json:"model"`
	Expect    string    `json:"expect"`
	Signature string    `json:"signature"`
	Subgraph  *int      `json:"subgraph"`
	Inputs    []cTensor `json:"inputs"`
	Outputs   []cTensor `json:"outputs"`
}

type cResult struct {
	status string // pass, fail, skip
	detail string
	outs   [][]byte
}

const knownDifferencesFile = "testdata/known_differences.txt"

func readKnownDifferences(t *testing.T) map[string]string {
	f, err := os.Open(knownDifferencesFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	known := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		del, rest, _ := strings.Cut(line, " ")
		name, reason, _ := strings.Cut(rest, " ")
		known[del+" "+name] = reason
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return known
}

func TestConformanceC(t *testing.T) {
	requireLib(t)
	dir := os.Getenv("AXLE_CONFORMANCE_DIR")
	if dir == "" {
		t.Skip("AXLE_CONFORMANCE_DIR is not set")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*", "*", "case.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no cases under %s (%v)", dir, err)
	}
	slices.Sort(files)
	known := readKnownDifferences(t)
	seen := map[string]bool{}
	count := map[string]int{}
	var differ []string
	for _, f := range files {
		name, _ := filepath.Rel(dir, filepath.Dir(f))
		name = filepath.ToSlash(name)
		var builtin cResult
		for _, del := range []string{models.DelegateNone, models.DelegateXNNPack} {
			key := del + " " + name
			seen[key] = true
			reason, isKnown := known[key]
			if strings.HasPrefix(reason, "crash:") {
				// Running it would take the test process down with it.
				count[del+" crash"]++
				t.Logf("not run, crashes the C library: %s: %s", key, reason)
				continue
			}
			r := runCaseC(filepath.Dir(f), del)
			count[del+" "+r.status]++
			switch {
			case r.status == "pass" && isKnown:
				t.Errorf("%s passes now; remove it from %s", key, knownDifferencesFile)
			case r.status == "fail" && isKnown:
				t.Logf("known difference %s: %s", key, r.detail)
			case r.status == "fail":
				t.Errorf("FAIL %s: %s", key, r.detail)
			}
			if del == models.DelegateNone {
				builtin = r
			} else if builtin.outs != nil && r.outs != nil && !slices.EqualFunc(builtin.outs, r.outs, slices.Equal) {
				differ = append(differ, name)
			}
		}
	}
	for key := range known {
		if !seen[key] {
			t.Errorf("%s is listed in %s but is not a case", key, knownDifferencesFile)
		}
	}
	for _, name := range differ {
		t.Logf("xnnpack differs from the builtin kernels (within tolerance): %s", name)
	}
	summary := fmt.Sprintf("conformance (tflite-c): none %d passed, %d failed, %d skipped, %d not run (crash); xnnpack %d passed, %d failed, %d skipped, %d not run (crash); %d cases where xnnpack is not bit-identical to builtin",
		count["none pass"], count["none fail"], count["none skip"], count["none crash"],
		count["xnnpack pass"], count["xnnpack fail"], count["xnnpack skip"], count["xnnpack crash"], len(differ))
	t.Log(summary)
	fmt.Println(summary)
}

// runCaseC runs one case on the C runtime with delegate del.
func runCaseC(caseDir, del string) cResult {
	raw, err := os.ReadFile(filepath.Join(caseDir, "case.json"))
	if err != nil {
		return cResult{status: "fail", detail: err.Error()}
	}
	var c cCase
	if err := json.Unmarshal(raw, &c); err != nil {
		return cResult{status: "fail", detail: "case.json: " + err.Error()}
	}
	if c.Signature == "" && c.Subgraph != nil && *c.Subgraph != 0 {
		return cResult{status: "skip", detail: "the C API runs other subgraphs only through signatures"}
	}
	data, err := os.ReadFile(filepath.Join(caseDir, c.Model))
	if err != nil {
		return cResult{status: "fail", detail: err.Error()}
	}
	m, err := Load(data, models.Options{Delegate: del})
	switch c.Expect {
	case "load_error", "invoke_error":
		if err != nil {
			return cResult{status: "pass"}
		}
		defer m.Close()
		if err := invokeC(m); err != nil {
			return cResult{status: "pass"}
		}
		return cResult{status: "fail", detail: "loaded and invoked, want an error"}
	case "load_ok":
		if err != nil {
			return cResult{status: "fail", detail: err.Error()}
		}
		m.Close()
		return cResult{status: "pass"}
	}
	if err != nil {
		return cResult{status: "fail", detail: "load: " + err.Error()}
	}
	defer m.Close()
	var r cRunner = m
	if c.Signature != "" {
		sr, err := m.Signature(c.Signature)
		if err != nil {
			return cResult{status: "fail", detail: err.Error()}
		}
		r = sr
	}
	if len(c.Inputs) != len(r.Inputs()) {
		return cResult{status: "fail", detail: fmt.Sprintf("model has %d inputs, case %d", len(r.Inputs()), len(c.Inputs))}
	}
	// The case lists tensors in subgraph order, a signature runner in
	// TFLite's order of signature names: match them by tensor name.
	inAt, err := byName(c.Signature != "", c.Inputs, r.Inputs())
	if err != nil {
		return cResult{status: "fail", detail: "inputs: " + err.Error()}
	}
	for i, in := range c.Inputs {
		if !slices.Equal(r.Inputs()[inAt[i]].Shape, in.Shape) {
			if err := r.ResizeInput(inAt[i], in.Shape); err != nil {
				return cResult{status: "fail", detail: err.Error()}
			}
		}
	}
	for i, in := range c.Inputs {
		i := inAt[i]
		if in.File == nil {
			return cResult{status: "skip", detail: fmt.Sprintf("input %d has no file", i)}
		}
		b, err := os.ReadFile(filepath.Join(caseDir, *in.File))
		if err != nil {
			return cResult{status: "fail", detail: err.Error()}
		}
		if dst := r.Input(i); len(b) != len(dst) {
			return cResult{status: "fail", detail: fmt.Sprintf("input %d: %d bytes, tensor %d", i, len(b), len(dst))}
		}
		copy(r.Input(i), b)
	}
	if err := invokeC(r); err != nil {
		return cResult{status: "fail", detail: "invoke: " + err.Error()}
	}
	infos := r.Outputs()
	if len(infos) != len(c.Outputs) {
		return cResult{status: "fail", detail: fmt.Sprintf("model has %d outputs, case %d", len(infos), len(c.Outputs))}
	}
	outAt, err := byName(c.Signature != "", c.Outputs, infos)
	if err != nil {
		return cResult{status: "fail", detail: "outputs: " + err.Error()}
	}
	res := cResult{outs: make([][]byte, len(infos))}
	var problems []string
	checked := 0
	for i, o := range c.Outputs {
		res.outs[i] = slices.Clone(r.Output(outAt[i]))
		info := infos[outAt[i]]
		if info.DType.String() != o.DType {
			problems = append(problems, fmt.Sprintf("out%d is %s, case %s", i, info.DType, o.DType))
			continue
		}
		got, err := float64s(res.outs[i], info.DType)
		if err != nil {
			problems = append(problems, fmt.Sprintf("out%d: %v", i, err))
			continue
		}
		switch {
		case o.Argmax != nil:
			checked++
			if a := argmaxOf(got); a != *o.Argmax {
				problems = append(problems, fmt.Sprintf("out%d argmax %d, want %d", i, a, *o.Argmax))
			}
		case o.File != nil:
			checked++
			b, err := os.ReadFile(filepath.Join(caseDir, *o.File))
			if err != nil {
				problems = append(problems, err.Error())
				continue
			}
			want, err := float64s(b, info.DType)
			if err != nil || len(want) != len(got) {
				problems = append(problems, fmt.Sprintf("out%d: golden has %d values, output %d (%v)", i, len(want), len(got), err))
				continue
			}
			tol := 0.0
			if o.Tolerance != nil {
				tol = o.Tolerance.Abs
			}
			if del == models.DelegateXNNPack {
				tol = xnnpackTolerance(tol, info.DType, want)
			}
			maxErr, at := 0.0, 0
			for k := range got {
				if d := math.Abs(got[k] - want[k]); d > maxErr || math.IsNaN(d) {
					maxErr, at = d, k
				}
			}
			if maxErr > tol || math.IsNaN(maxErr) {
				problems = append(problems, fmt.Sprintf("out%d max abs error %g at %d (got %g, want %g), tolerance %g", i, maxErr, at, got[at], want[at], tol))
			}
		}
	}
	switch {
	case len(problems) > 0:
		res.status, res.detail = "fail", strings.Join(problems, "; ")
	case checked == 0:
		res.status, res.detail = "skip", "golden pending"
	default:
		res.status = "pass"
	}
	return res
}

// xnnpackTolerance relaxes a case tolerance for XNNPACK: one step more
// for integer outputs (its requantisation rounds differently), 1e-3 of
// the golden's range for float outputs (other summation order, FMA).
func xnnpackTolerance(tol float64, dt models.DType, want []float64) float64 {
	if dt != models.Float32 && dt != models.Float64 {
		return max(tol, 1)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range want {
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi < lo {
		return tol
	}
	return max(tol, 1e-3*(hi-lo))
}

// cRunner is what a case needs of a Model or a SignatureRunner.
type cRunner interface {
	Inputs() []models.TensorInfo
	Outputs() []models.TensorInfo
	Input(i int) []byte
	Output(i int) []byte
	Invoke(ctx context.Context) error
	ResizeInput(i int, shape []int) error
}

// byName maps each case tensor to the runner's tensor of the same name
// when match is set, else to the one at the same position.
func byName(match bool, want []cTensor, have []models.TensorInfo) ([]int, error) {
	at := make([]int, len(want))
	for i, w := range want {
		at[i] = i
		if !match {
			continue
		}
		k := slices.IndexFunc(have, func(h models.TensorInfo) bool { return h.Name == w.Name })
		if k < 0 {
			return nil, fmt.Errorf("no tensor named %q", w.Name)
		}
		at[i] = k
	}
	return at, nil
}

func invokeC(m cRunner) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return m.Invoke(ctx)
}

func float64s(b []byte, dt models.DType) ([]float64, error) {
	size := dt.Size()
	if size == 0 || len(b)%size != 0 {
		return nil, fmt.Errorf("cannot compare %d bytes of %s", len(b), dt)
	}
	out := make([]float64, len(b)/size)
	le := binary.LittleEndian
	for i := range out {
		p := b[i*size:]
		switch dt {
		case models.Float32:
			out[i] = float64(math.Float32frombits(le.Uint32(p)))
		case models.Float64:
			out[i] = math.Float64frombits(le.Uint64(p))
		case models.Int8:
			out[i] = float64(int8(p[0]))
		case models.UInt8, models.Bool:
			out[i] = float64(p[0])
		case models.Int16:
			out[i] = float64(int16(le.Uint16(p)))
		case models.UInt16:
			out[i] = float64(le.Uint16(p))
		case models.Int32:
			out[i] = float64(int32(le.Uint32(p)))
		case models.UInt32:
			out[i] = float64(le.Uint32(p))
		case models.Int64:
			out[i] = float64(int64(le.Uint64(p)))
		default:
			return nil, fmt.Errorf("cannot compare %s", dt)
		}
	}
	return out, nil
}

func argmaxOf(v []float64) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
