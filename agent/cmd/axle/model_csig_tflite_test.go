//go:build tflite

package main

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// axle model run --signature on the C runtime runs the signature's
// subgraph (here subgraph 1), as on the pure-Go one.
func TestModelRunSignatureWithC(t *testing.T) {
	if os.Getenv("AXLE_TFLITE_DIR") == "" {
		t.Skip("AXLE_TFLITE_DIR is not set: the real-library tests need a libtensorflowlite_c build")
	}
	b := build.New()
	x := b.Input("x", models.Float32, []int{2}, nil)
	neg := b.Tensor("neg", models.Float32, []int{2}, nil)
	b.Op(ops.OpNeg, 1, []int{x}, []int{neg}, build.Options{})
	b.Output(neg)
	g := b.NewSubgraph("mul")
	p := g.Input("p", models.Float32, []int{2}, nil)
	r := g.Tensor("r", models.Float32, []int{2}, nil)
	g.Op(ops.OpMul, 1, []int{p, p}, []int{r}, build.Options{Type: build.OptMul})
	g.Output(r)
	b.Signature("square", 1, []build.SigTensor{{Name: "v", Tensor: p}}, []build.SigTensor{{Name: "sq", Tensor: r}})
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "sig.tflite")
	in := filepath.Join(dir, "in0.bin")
	le := binary.LittleEndian
	raw := le.AppendUint32(le.AppendUint32(nil, math.Float32bits(3)), math.Float32bits(-1.5))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, rt := range []string{"go", "tflite"} {
		outDir := filepath.Join(dir, rt)
		code, _, errs := modelRunCLI("run", path, "--runtime", rt, "--delegate", "none", "--signature", "square", "--in", in, "--out-dir", outDir)
		if code != 0 || strings.Contains(errs, "pure-Go runtime") {
			t.Fatalf("%s: exit %d: %s", rt, code, errs)
		}
		out, err := os.ReadFile(filepath.Join(outDir, "out0.bin"))
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != 8 || math.Float32frombits(le.Uint32(out)) != 9 || math.Float32frombits(le.Uint32(out[4:])) != 2.25 {
			t.Errorf("%s: out0.bin %v, want 9, 2.25", rt, out)
		}
	}
	code, _, errs := modelRunCLI("run", path, "--runtime", "tflite", "--signature", "nope", "--in", in, "--out-dir", t.TempDir())
	if code != 1 || !strings.Contains(errs, `no signature "nope"`) {
		t.Errorf("unknown signature: exit %d, %s", code, errs)
	}
}
