package tflite_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflite"
)

// The conformance corpus (format: README.md of $AXLE_CONFORMANCE_DIR) runs
// real models against upstream goldens. Cases that fail today for a known
// reason are listed in testdata/conformance_known_failures.txt; the test
// fails on any other failure and on listed cases that now pass, so the list
// only shrinks.

const knownFailuresFile = "testdata/conformance_known_failures.txt"

// caseInvokeTimeout bounds one Invoke so that a hostile or looping model
// cannot hang the suite.
const caseInvokeTimeout = 2 * time.Minute

type confTensor struct {
	File      *string `json:"file"`
	DType     string  `json:"dtype"`
	Shape     []int   `json:"shape"`
	Name      string  `json:"name"`
	Argmax    *int    `json:"argmax"`
	Tolerance *struct {
		Abs float64 `json:"abs"`
	} `json:"tolerance"`
}

type confCase struct {
	Model      string       `json:"model"`
	Expect     string       `json:"expect"`
	Signature  string       `json:"signature"`
	Subgraph   *int         `json:"subgraph"`
	Inputs     []confTensor `json:"inputs"`
	Outputs    []confTensor `json:"outputs"`
	GoldenFrom string       `json:"golden_from"`
	Pipeline   *struct {
		Preprocessor string `json:"preprocessor_model"`
		Window       int    `json:"window"`
		Stride       int    `json:"stride"`
		Frames       int    `json:"frames"`
		Clips        []struct {
			Audio          string `json:"audio"`
			ExpectedArgmax int    `json:"expected_argmax"`
		} `json:"clips"`
	} `json:"pipeline"`
}

type caseResult struct {
	status string // "pass", "fail", "skip"
	detail string
}

func conformanceDir(t testing.TB) string {
	dir := os.Getenv("AXLE_CONFORMANCE_DIR")
	if dir == "" {
		t.Skip("AXLE_CONFORMANCE_DIR is not set")
	}
	return dir
}

// conformanceCases lists case directories relative to dir, sorted.
func conformanceCases(t testing.TB, dir string) []string {
	files, err := filepath.Glob(filepath.Join(dir, "*", "*", "case.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no cases under %s (%v)", dir, err)
	}
	var out []string
	for _, f := range files {
		rel, _ := filepath.Rel(dir, filepath.Dir(f))
		out = append(out, filepath.ToSlash(rel))
	}
	sort.Strings(out)
	return out
}

func readKnownFailures(t *testing.T) map[string]string {
	f, err := os.Open(knownFailuresFile)
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
		path, reason, _ := strings.Cut(line, " ")
		known[path] = strings.TrimSpace(reason)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return known
}

func TestConformance(t *testing.T) {
	dir := conformanceDir(t)
	known := readKnownFailures(t)
	var passed, failed, skipped int
	seen := map[string]bool{}
	for _, name := range conformanceCases(t, dir) {
		seen[name] = true
		r := runCase(filepath.Join(dir, name))
		_, isKnown := known[name]
		switch r.status {
		case "pass":
			passed++
			if isKnown {
				t.Errorf("%s: passes now; remove it from %s", name, knownFailuresFile)
			}
		case "skip":
			skipped++
			if isKnown {
				t.Errorf("%s: skipped (golden pending) but listed in %s", name, knownFailuresFile)
			}
		default:
			failed++
			if isKnown {
				t.Logf("known failure %s: %s", name, r.detail)
			} else {
				t.Errorf("FAIL %s: %s", name, r.detail)
			}
		}
	}
	for name := range known {
		if !seen[name] {
			t.Errorf("%s is listed in %s but is not a case", name, knownFailuresFile)
		}
	}
	summary := fmt.Sprintf("conformance: %d passed, %d failed, %d skipped", passed, failed, skipped)
	t.Log(summary)
	fmt.Println(summary)
}

// runCase runs one case and never panics: a panic is a failure.
func runCase(caseDir string) (res caseResult) {
	defer func() {
		if p := recover(); p != nil {
			res = caseResult{"fail", fmt.Sprintf("panic: %v", p)}
		}
	}()
	raw, err := os.ReadFile(filepath.Join(caseDir, "case.json"))
	if err != nil {
		return caseResult{"fail", err.Error()}
	}
	var c confCase
	if err := json.Unmarshal(raw, &c); err != nil {
		return caseResult{"fail", "case.json: " + err.Error()}
	}
	data, err := os.ReadFile(filepath.Join(caseDir, c.Model))
	if err != nil {
		return caseResult{"fail", err.Error()}
	}
	it, err := tflite.Load(data, models.Options{})
	if errors.Is(err, tflite.ErrInternal) {
		return caseResult{"fail", err.Error()}
	}
	switch c.Expect {
	case "load_error":
		if err == nil {
			it.Close()
			return caseResult{"fail", "loaded, want a load error"}
		}
		return caseResult{"pass", ""}
	case "load_ok":
		if err != nil {
			return caseResult{"fail", err.Error()}
		}
		it.Close()
		return caseResult{"pass", ""}
	case "invoke_error":
		if err != nil {
			return caseResult{"pass", ""} // rejecting at load time is fine
		}
		defer it.Close()
		err = invokeTimeout(it.Runner)
		if err == nil {
			return caseResult{"fail", "invoked without error, want an invoke error"}
		}
		if errors.Is(err, tflite.ErrInternal) {
			return caseResult{"fail", err.Error()}
		}
		return caseResult{"pass", ""}
	}
	if err != nil {
		return caseResult{"fail", "load: " + err.Error()}
	}
	defer it.Close()
	r := it.Runner
	switch {
	case c.Signature != "":
		r, err = it.Signature(c.Signature)
		if err == nil && c.Subgraph != nil && r.SubgraphIndex() != *c.Subgraph {
			err = fmt.Errorf("signature %q runs subgraph %d, case says %d", c.Signature, r.SubgraphIndex(), *c.Subgraph)
		}
	case c.Subgraph != nil:
		r, err = it.Subgraph(*c.Subgraph)
	}
	if err != nil {
		return caseResult{"fail", err.Error()}
	}
	outs, err := runTensors(r, caseDir, c.Inputs)
	if err != nil {
		return caseResult{"fail", err.Error()}
	}
	if len(outs) != len(c.Outputs) {
		return caseResult{"fail", fmt.Sprintf("model has %d outputs, case %d", len(outs), len(c.Outputs))}
	}
	checked := 0
	var problems []string
	for i, o := range c.Outputs {
		info := r.Outputs()[i]
		// The case lists the shape the model declares; a dynamic output
		// may differ at run time, and then the golden's size decides.
		if info.DType.String() != o.DType || (!slices.Equal(info.Shape, o.Shape) && o.File == nil) {
			problems = append(problems, fmt.Sprintf("out%d is %s%v, case %s%v", i, info.DType, info.Shape, o.DType, o.Shape))
			continue
		}
		got, err := asFloat64(outs[i], info.DType)
		if err != nil {
			problems = append(problems, fmt.Sprintf("out%d: %v", i, err))
			continue
		}
		switch {
		case o.Argmax != nil:
			checked++
			if a := argmax(got); a != *o.Argmax {
				problems = append(problems, fmt.Sprintf("out%d argmax %d, want %d", i, a, *o.Argmax))
			}
		case o.File != nil:
			checked++
			want, err := readTensorFile(filepath.Join(caseDir, *o.File), info.DType, len(got))
			if err != nil {
				problems = append(problems, fmt.Sprintf("out%d: %v", i, err))
				continue
			}
			tol := 0.0
			if o.Tolerance != nil {
				tol = o.Tolerance.Abs
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
	if c.Pipeline != nil {
		checked++
		if err := runPipeline(caseDir, &c, it); err != nil {
			problems = append(problems, "pipeline: "+err.Error())
		}
	}
	if len(problems) > 0 {
		return caseResult{"fail", strings.Join(problems, "; ")}
	}
	if checked == 0 {
		return caseResult{"skip", "golden pending"}
	}
	return caseResult{"pass", ""}
}

func invokeTimeout(r *tflite.Runner) error {
	ctx, cancel := context.WithTimeout(context.Background(), caseInvokeTimeout)
	defer cancel()
	return r.Invoke(ctx)
}

// runTensors fills the runner's inputs from the case's files (resizing
// inputs whose case shape differs), invokes it and returns copies of the
// outputs.
func runTensors(r *tflite.Runner, caseDir string, inputs []confTensor) ([][]byte, error) {
	if len(inputs) != len(r.Inputs()) {
		return nil, fmt.Errorf("model has %d inputs, case %d", len(r.Inputs()), len(inputs))
	}
	for i, in := range inputs {
		if !slices.Equal(r.Inputs()[i].Shape, in.Shape) {
			if err := r.ResizeInput(i, in.Shape); err != nil {
				return nil, fmt.Errorf("resize input %d to %v: %w", i, in.Shape, err)
			}
		}
	}
	for i, in := range inputs {
		if in.File == nil {
			return nil, fmt.Errorf("input %d has no file", i)
		}
		b, err := os.ReadFile(filepath.Join(caseDir, *in.File))
		if err != nil {
			return nil, err
		}
		dst := r.Input(i)
		if len(b) != len(dst) {
			return nil, fmt.Errorf("input %d: %s has %d bytes, the tensor %d", i, *in.File, len(b), len(dst))
		}
		copy(dst, b)
	}
	if err := invokeTimeout(r); err != nil {
		return nil, fmt.Errorf("invoke: %w", err)
	}
	outs := make([][]byte, len(r.Outputs()))
	for i := range outs {
		outs[i] = slices.Clone(r.Output(i))
	}
	return outs, nil
}

func readTensorFile(path string, dt models.DType, n int) ([]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v, err := asFloat64(b, dt)
	if err != nil {
		return nil, err
	}
	if len(v) != n {
		return nil, fmt.Errorf("%s has %d elements, output %d", filepath.Base(path), len(v), n)
	}
	return v, nil
}

func asFloat64(b []byte, dt models.DType) ([]float64, error) {
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

func argmax(v []float64) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// runPipeline is micro_speech's end-to-end check: the audio preprocessor
// turns 30 ms windows into 40 features per frame; the classifier's argmax
// over 49 frames must be the clip's label.
func runPipeline(caseDir string, c *confCase, classifier *tflite.Interpreter) error {
	p := c.Pipeline
	pre, err := os.ReadFile(filepath.Join(caseDir, p.Preprocessor))
	if err != nil {
		return err
	}
	for _, clip := range p.Clips {
		samples, err := readWAV16(filepath.Join(caseDir, clip.Audio))
		if err != nil {
			return err
		}
		pp, err := tflite.Load(pre, models.Options{})
		if err != nil {
			return fmt.Errorf("preprocessor: %w", err)
		}
		feat := classifier.Input(0)
		per := len(feat) / p.Frames
		for f := 0; f < p.Frames; f++ {
			in := pp.Input(0)
			lo := f * p.Stride
			if lo+p.Window > len(samples) || len(in) != 2*p.Window {
				pp.Close()
				return fmt.Errorf("%s: frame %d does not fit (%d samples, input %d bytes)", clip.Audio, f, len(samples), len(in))
			}
			for k := 0; k < p.Window; k++ {
				binary.LittleEndian.PutUint16(in[2*k:], uint16(samples[lo+k]))
			}
			if err := invokeTimeout(pp.Runner); err != nil {
				pp.Close()
				return fmt.Errorf("preprocessor frame %d: %w", f, err)
			}
			copy(feat[f*per:(f+1)*per], pp.Output(0))
		}
		pp.Close()
		if err := invokeTimeout(classifier.Runner); err != nil {
			return err
		}
		got, err := asFloat64(classifier.Output(0), classifier.Outputs()[0].DType)
		if err != nil {
			return err
		}
		if a := argmax(got); a != clip.ExpectedArgmax {
			return fmt.Errorf("%s: argmax %d, want %d (scores %v)", clip.Audio, a, clip.ExpectedArgmax, got)
		}
	}
	return nil
}

// readWAV16 reads the samples of a 16-bit PCM mono WAV file.
func readWAV16(path string) ([]int16, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%s is not a WAV file", path)
	}
	var pcm16 bool
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		body := b[p+8:]
		if size > len(body) {
			return nil, fmt.Errorf("%s: chunk %q is truncated", path, id)
		}
		body = body[:size]
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, fmt.Errorf("%s: short fmt chunk", path)
			}
			format, ch, bits := binary.LittleEndian.Uint16(body), binary.LittleEndian.Uint16(body[2:]), binary.LittleEndian.Uint16(body[14:])
			pcm16 = format == 1 && ch == 1 && bits == 16
		case "data":
			if !pcm16 {
				return nil, fmt.Errorf("%s: not 16-bit PCM mono", path)
			}
			s := make([]int16, size/2)
			for i := range s {
				s[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return s, nil
		}
		p += 8 + size + size%2
	}
	return nil, fmt.Errorf("%s: no data chunk", path)
}
