//go:build tflite

package tflitecgo

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/demomodel"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// fillRandom writes reproducible values into b: floats in [-2, 2) for a
// float32 tensor, random bytes otherwise.
func fillRandom(b []byte, dt models.DType, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 1))
	if dt == models.Float32 {
		f := models.Float32s(b)
		for i := range f {
			f[i] = float32(r.Float64()*4 - 2)
		}
		return
	}
	for i := range b {
		b[i] = byte(r.Uint32())
	}
}

// sameOutputs runs both models on the same random input and compares
// every output: integers exactly, floats within tol of the output's range.
func sameOutputs(t *testing.T, c, g models.Model, seed uint64, tol float64) {
	t.Helper()
	for i, info := range g.Inputs() {
		fillRandom(g.Input(i), info.DType, seed+uint64(i))
		copy(c.Input(i), g.Input(i))
	}
	ctx := context.Background()
	if err := g.Invoke(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Invoke(ctx); err != nil {
		t.Fatal(err)
	}
	for i, info := range g.Outputs() {
		if info.DType != models.Float32 {
			if !reflect.DeepEqual(c.Output(i), g.Output(i)) {
				t.Errorf("output %d (%s): C %v, Go %v", i, info.DType, c.Output(i), g.Output(i))
			}
			continue
		}
		cf, gf := models.Float32s(c.Output(i)), models.Float32s(g.Output(i))
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range gf {
			lo, hi = min(lo, float64(v)), max(hi, float64(v))
		}
		for k := range gf {
			if d := math.Abs(float64(cf[k] - gf[k])); d > tol*max(hi-lo, 1) {
				t.Errorf("output %d[%d]: C %g, Go %g", i, k, cf[k], gf[k])
				break
			}
		}
	}
}

// The contract as the pure-Go interpreter keeps it: same tensor info
// (dtype, shape, quantisation, bytes), inputs and outputs aliasing the
// runtime's memory, the same results.
func TestDemoModelMatchesPureGo(t *testing.T) {
	requireLib(t)
	g, err := tflite.Load(demomodel.TFLite(), models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for _, del := range []string{"none", "xnnpack", "auto"} {
		c, err := Load(demomodel.TFLite(), models.Options{Delegate: del})
		if err != nil {
			t.Fatalf("delegate %s: %v", del, err)
		}
		if del == "auto" && c.Delegate() != "xnnpack" {
			t.Errorf("auto resolved to %q, want xnnpack", c.Delegate())
		}
		for _, pair := range [][2][]models.TensorInfo{{c.Inputs(), g.Inputs()}, {c.Outputs(), g.Outputs()}} {
			for i := range pair[1] {
				ci, gi := pair[0][i], pair[1][i]
				ci.Index, gi.Index = 0, 0 // C reports interpreter indices
				if !reflect.DeepEqual(ci, gi) {
					t.Errorf("delegate %s: tensor info\nC  %+v\nGo %+v", del, ci, gi)
				}
			}
		}
		sameOutputs(t, c, g, 1, 1e-5)
		if err := c.Reset(); err != nil {
			t.Error(err)
		}
		c.Close()
		if err := c.Invoke(context.Background()); !errors.Is(err, ErrClosed) {
			t.Errorf("Invoke after Close: %v", err)
		}
		if c.Input(0) != nil || c.Output(0) != nil {
			t.Error("tensors still handed out after Close")
		}
	}
}

// argMaxModel is FULLY_CONNECTED (XNNPACK takes it) followed by ARG_MAX
// (XNNPACK does not): a partially delegated graph.
func argMaxModel(t *testing.T) []byte {
	t.Helper()
	b := build.New()
	x := b.Input("x", models.Float32, []int{1, 8}, nil)
	w := make([]float32, 4*8)
	for i := range w {
		w[i] = float32(i%7) - 3
	}
	wt := b.Const("w", models.Float32, []int{4, 8}, w, nil)
	bias := b.Const("b", models.Float32, []int{4}, []float32{0.5, -0.5, 1, 0}, nil)
	y := b.Tensor("y", models.Float32, []int{1, 4}, nil)
	b.Op(ops.OpFullyConnected, 1, []int{x, wt, bias}, []int{y}, build.Options{Type: build.OptFullyConnected})
	axis := b.Const("axis", models.Int32, []int{1}, []int32{1}, nil)
	am := b.Tensor("am", models.Int32, []int{1}, nil)
	b.Op(ops.OpArgMax, 2, []int{y, axis}, []int{am}, build.Options{Type: build.OptArgMax, Fields: []build.Field{{Slot: 0, Value: int8(2)}}})
	b.Output(y, am)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Nodes XNNPACK does not take stay on TFLite's CPU kernels.
func TestPartialDelegation(t *testing.T) {
	requireLib(t)
	data := argMaxModel(t)
	g, err := tflite.Load(data, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	c, err := Load(data, models.Options{Delegate: "xnnpack"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for seed := range uint64(5) {
		sameOutputs(t, c, g, seed, 1e-5)
	}
}

// Models the library refuses are errors naming the cause, never a crash.
func TestRefusedModelsAreErrors(t *testing.T) {
	requireLib(t)
	demo := demomodel.TFLite()
	bad := map[string][]byte{
		"empty":     nil,
		"garbage":   []byte("this is not a flatbuffer at all, just text"),
		"truncated": demo[:len(demo)/2],
		"header":    demo[:16],
	}
	flipped := append([]byte(nil), demo...)
	flipped[4], flipped[5], flipped[6], flipped[7] = 'X', 'X', 'X', 'X' // file identifier
	bad["identifier"] = flipped
	for name, data := range bad {
		m, err := Load(data, models.Options{})
		if err == nil {
			m.Close()
			t.Errorf("%s: loaded", name)
			continue
		}
		if !strings.HasPrefix(err.Error(), "tflitecgo: ") || errors.Is(err, models.ErrDelegate) {
			t.Errorf("%s: error %q: want a tflitecgo model error", name, err)
		}
	}
	if _, err := Load(demo, models.Options{MaxBytes: 100}); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("MaxBytes: %v", err)
	}
}

// Delegates that cannot start wrap models.ErrDelegate, so that the agent
// falls back; the C reporter's or dlopen's words are in the error.
func TestDelegateFailuresWrapErrDelegate(t *testing.T) {
	requireLib(t)
	for _, d := range []string{"external:/nonexistent/libaxle-none.so", "external:/etc/hostname", "bogus"} {
		_, err := Load(demomodel.TFLite(), models.Options{Delegate: d})
		if !errors.Is(err, models.ErrDelegate) {
			t.Errorf("%s: %v, want ErrDelegate", d, err)
		}
	}
	if _, err := Load(demomodel.TFLite(), models.Options{Delegate: "external:/nonexistent/libaxle-none.so"}); err == nil || !strings.Contains(err.Error(), "libaxle-none.so") {
		t.Errorf("error does not name the library: %v", err)
	}
}

func TestInvokeHonoursContext(t *testing.T) {
	requireLib(t)
	c, err := Load(demomodel.TFLite(), models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Invoke(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}
	// A cancellable ctx that is not cancelled must not leave a pending
	// cancellation behind for the next Invoke.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	for range 3 {
		if err := c.Invoke(ctx2); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNoAllocationsPerInvoke(t *testing.T) {
	requireLib(t)
	c, err := Load(demomodel.TFLite(), models.Options{Delegate: "xnnpack"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	n := testing.AllocsPerRun(50, func() {
		if err := c.Invoke(ctx); err != nil {
			t.Fatal(err)
		}
		_ = c.Output(0)
	})
	if n != 0 {
		t.Errorf("%v allocations per Invoke, want 0", n)
	}
}

func TestResizeInput(t *testing.T) {
	requireLib(t)
	data := argMaxModel(t)
	c, err := Load(data, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.ResizeInput(0, []int{1, 8}); err != nil {
		t.Fatal(err)
	}
	if err := c.ResizeInput(0, []int{0}); err == nil {
		t.Error("zero dimension accepted")
	}
	if err := c.ResizeInput(3, []int{1}); err == nil || !strings.Contains(err.Error(), "1 inputs") {
		t.Errorf("input 3: %v", err)
	}
}

// FuzzLoadC feeds mutated model files to the C library through Load: it
// must refuse them with an error or run them, never crash the process.
func FuzzLoadC(f *testing.F) {
	requireLib(f)
	f.Add(demomodel.TFLite())
	f.Add([]byte("TFL3"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Load(data, models.Options{MaxBytes: 1 << 20})
		if err != nil {
			return
		}
		defer m.Close()
		_ = m.Invoke(context.Background())
	})
}

// Without the library the tagged binary still starts: Load says the
// runtime is unavailable (models.ErrUnavailable), naming the library and
// the loader's reason. Runs without AXLE_TFLITE_DIR.
func TestLibraryMissing(t *testing.T) {
	r := Runtime{Library: "/nonexistent/libtensorflowlite_c.so"}
	_, err := r.Load(demomodel.TFLite(), models.Options{})
	if !errors.Is(err, models.ErrUnavailable) || !strings.Contains(err.Error(), "/nonexistent/libtensorflowlite_c.so") {
		t.Fatalf("err %v, want ErrUnavailable naming the library", err)
	}
	if _, err := r.Version(); !errors.Is(err, models.ErrUnavailable) {
		t.Errorf("Version: %v", err)
	}
	// A shared library that is not TFLite's (or, when a test before
	// opened the real one, a second library) is refused the same way.
	_, err = Runtime{Library: "libm.so.6"}.Load(demomodel.TFLite(), models.Options{})
	if !errors.Is(err, models.ErrUnavailable) || !(strings.Contains(err.Error(), "has no TfLite") || strings.Contains(err.Error(), "already loaded")) {
		t.Errorf("libm: %v", err)
	}
}
