package conformance

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
)

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func float32Bytes(v ...float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func TestFloat64s(t *testing.T) {
	for _, tc := range []struct {
		dt   models.DType
		b    []byte
		want []float64
	}{
		{models.Int8, []byte{0x80, 0x7f}, []float64{-128, 127}},
		{models.UInt8, []byte{0xff}, []float64{255}},
		{models.Int16, []byte{0x00, 0x80}, []float64{-32768}},
		{models.Int32, []byte{0xff, 0xff, 0xff, 0xff}, []float64{-1}},
		{models.Float32, float32Bytes(1.5, -2), []float64{1.5, -2}},
	} {
		got, err := Float64s(tc.b, tc.dt)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s % x: %v, %v; want %v", tc.dt, tc.b, got, err, tc.want)
		}
	}
	if _, err := Float64s([]byte{1, 2, 3}, models.Int16); err == nil || !strings.Contains(err.Error(), "3 bytes of int16") {
		t.Errorf("odd byte count: %v, want an error naming it", err)
	}
}

// caseDir writes a case with one float32 output whose golden is want.
func caseDir(t *testing.T, want []float32, caseJSON string) *Case {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "case.json"), []byte(caseJSON))
	writeFile(t, filepath.Join(dir, "out0.bin"), float32Bytes(want...))
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const goldenCase = `{"model": "model.tflite", "inputs": [],
 "outputs": [{"file": "out0.bin", "dtype": "float32", "shape": [3], "tolerance": {"abs": 0.1}}]}`

func TestCheckOutputsTolerance(t *testing.T) {
	c := caseDir(t, []float32{1, 2, 3}, goldenCase)
	info := []models.TensorInfo{{DType: models.Float32, Shape: []int{3}}}
	if n, p := c.CheckOutputs([][]byte{float32Bytes(1.05, 2, 3)}, info, nil); n != 1 || p != nil {
		t.Errorf("within tolerance: checked %d, problems %q", n, p)
	}
	n, p := c.CheckOutputs([][]byte{float32Bytes(1, 2, 3.5)}, info, nil)
	if n != 1 || len(p) != 1 || !strings.Contains(p[0], "out0 max abs error 0.5 at 2 (got 3.5, want 3), tolerance 0.1") {
		t.Errorf("off by 0.5: checked %d, problems %q", n, p)
	}
	// A runtime tolerance widens it.
	wide := func(tol float64, dt models.DType, want []float64) float64 { return tol + float64(len(want)) }
	if _, p := c.CheckOutputs([][]byte{float32Bytes(1, 2, 3.5)}, info, wide); p != nil {
		t.Errorf("widened tolerance: %q", p)
	}
	n, p = c.CheckOutputs([][]byte{float32Bytes(1, float32(math.NaN()), 3)}, info, nil)
	if n != 1 || len(p) != 1 || !strings.Contains(p[0], "at 1 (got NaN") {
		t.Errorf("NaN output: %q", p)
	}
	_, p = c.CheckOutputs([][]byte{float32Bytes(1, 2)}, info, nil)
	if len(p) != 1 || !strings.Contains(p[0], "out0: out0.bin has 3 elements, output 2") {
		t.Errorf("short output: %q", p)
	}
}

func TestCheckOutputsArgmaxAndPending(t *testing.T) {
	c := caseDir(t, nil, `{"model": "m", "outputs": [
	 {"file": null, "dtype": "float32", "shape": [3], "argmax": 2},
	 {"file": null, "dtype": "float32", "shape": [1]}]}`)
	info := []models.TensorInfo{{DType: models.Float32, Shape: []int{3}}, {DType: models.Float32, Shape: []int{1}}}
	outs := [][]byte{float32Bytes(0, 5, 1), float32Bytes(0)}
	n, p := c.CheckOutputs(outs, info, nil)
	if n != 1 || len(p) != 1 || p[0] != "out0 argmax 1, want 2" {
		t.Errorf("argmax: checked %d, problems %q", n, p)
	}
	info[1].DType = models.Int8
	if _, p := c.CheckOutputs(outs, info, nil); len(p) != 2 || p[1] != "out1 is int8[1], case float32[1]" {
		t.Errorf("dtype mismatch: %q", p)
	}
}

// fakeRunner copies its input to its output on Invoke; the test only
// needs the bookkeeping of Run, not a model.
type fakeRunner struct {
	in, out []models.TensorInfo
	data    [][]byte
	resized []int
}

func (f *fakeRunner) Inputs() []models.TensorInfo  { return f.in }
func (f *fakeRunner) Outputs() []models.TensorInfo { return f.out }
func (f *fakeRunner) Input(i int) []byte           { return f.data[i] }
func (f *fakeRunner) Output(i int) []byte          { return f.data[i] }
func (f *fakeRunner) ResizeInput(i int, shape []int) error {
	f.in[i].Shape = shape
	f.data[i] = make([]byte, 4*shape[0])
	f.resized = append(f.resized, i)
	return nil
}
func (f *fakeRunner) Invoke(context.Context) error { return nil }

func TestRunMatchesSignatureTensorsByName(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "case.json"), []byte(`{"model": "m", "signature": "s",
	 "inputs": [{"file": "in0.bin", "name": "a", "shape": [1]}, {"file": "in1.bin", "name": "b", "shape": [2]}],
	 "outputs": [{"name": "a"}, {"name": "b"}]}`))
	writeFile(t, filepath.Join(dir, "in0.bin"), float32Bytes(1))
	writeFile(t, filepath.Join(dir, "in1.bin"), float32Bytes(2, 3))
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The runner lists them in the other order, b with a shape to resize.
	tensors := []models.TensorInfo{{Name: "b", Shape: []int{1}}, {Name: "a", Shape: []int{1}}}
	f := &fakeRunner{in: tensors, out: tensors, data: [][]byte{make([]byte, 4), make([]byte, 4)}}
	outs, infos, err := c.Run(f)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(outs[0], float32Bytes(1)) || !slices.Equal(outs[1], float32Bytes(2, 3)) || infos[0].Name != "a" {
		t.Errorf("outputs %v %v, want a then b", outs, infos)
	}
	if !slices.Equal(f.resized, []int{0}) {
		t.Errorf("resized %v, want runner input 0 (b)", f.resized)
	}
	f.data[1] = make([]byte, 8) // a's tensor no longer fits its file
	if _, _, err := c.Run(f); err == nil || !strings.Contains(err.Error(), "input 0: in0.bin has 4 bytes, the tensor 8") {
		t.Errorf("size mismatch: %v", err)
	}
}

func TestKnown(t *testing.T) {
	file := filepath.Join(t.TempDir(), "known.txt")
	writeFile(t, file, []byte("# comment\n\nnone s/a crash: boom\nxnnpack  s/b   off by one\n"))
	k, err := ReadKnown(file, 2)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := k.Reason("none s/a"); !ok || r != "crash: boom" {
		t.Errorf("none s/a: %q %v", r, ok)
	}
	if r, ok := k.Reason("xnnpack s/b"); !ok || r != "off by one" {
		t.Errorf("xnnpack s/b: %q %v", r, ok)
	}
	if _, ok := k.Reason("none s/c"); ok {
		t.Error("none s/c is not listed")
	}
	writeFile(t, file, []byte("lonely\n"))
	if _, err := ReadKnown(file, 2); err == nil || !strings.Contains(err.Error(), "known.txt:1") {
		t.Errorf("one field for two: %v, want an error naming the line", err)
	}
}

func wav(fmtChunk []byte, data []byte) []byte {
	chunk := func(id string, body []byte) []byte {
		b := append([]byte(id), 0, 0, 0, 0)
		binary.LittleEndian.PutUint32(b[4:], uint32(len(body)))
		b = append(b, body...)
		if len(body)%2 == 1 {
			b = append(b, 0)
		}
		return b
	}
	b := append([]byte("RIFF\x00\x00\x00\x00WAVE"), chunk("fmt ", fmtChunk)...)
	return append(b, chunk("data", data)...)
}

// pcm16Mono is a fmt chunk body: PCM, 1 channel, 16 kHz, 16 bits.
func pcm16Mono() []byte { return []byte{1, 0, 1, 0, 0x80, 0x3e, 0, 0, 0, 0x7d, 0, 0, 2, 0, 16, 0} }

func TestParseWAV16(t *testing.T) {
	s, err := parseWAV16("x.wav", wav(pcm16Mono(), []byte{1, 0, 0xff, 0xff}))
	if err != nil || !slices.Equal(s, []int16{1, -1}) {
		t.Fatalf("%v, %v", s, err)
	}
	stereo := pcm16Mono()
	stereo[2] = 2
	if _, err := parseWAV16("x.wav", wav(stereo, nil)); err == nil || !strings.Contains(err.Error(), "not 16-bit PCM mono") {
		t.Errorf("stereo: %v", err)
	}
	b := wav(pcm16Mono(), []byte{1, 0})
	binary.LittleEndian.PutUint32(b[len(b)-6:], 0xffffffff) // data chunk claims 4 GiB
	if _, err := parseWAV16("x.wav", b); err == nil || !strings.Contains(err.Error(), `chunk "data"`) {
		t.Errorf("huge chunk: %v", err)
	}
}

func FuzzParseWAV16(f *testing.F) {
	f.Add(wav(pcm16Mono(), []byte{1, 0, 2, 0}))
	f.Add(wav(pcm16Mono()[:15], nil))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEdata\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseWAV16("fuzz.wav", b)
		if err == nil && 2*len(s) > len(b) {
			t.Fatalf("%d samples from %d bytes", len(s), len(b))
		}
	})
}

func FuzzFloat64s(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4}, uint8(models.Float32))
	f.Add([]byte{1, 2, 3}, uint8(models.Int16))
	f.Fuzz(func(t *testing.T, b []byte, dt uint8) {
		v, err := Float64s(b, models.DType(dt))
		if err == nil && len(v)*models.DType(dt).Size() != len(b) {
			t.Fatalf("%d values of %s from %d bytes", len(v), models.DType(dt), len(b))
		}
	})
}
