package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// TestModelStringTensors: describe shows string inputs and outputs; run
// refuses to feed a string input with a clear error, and writes a string
// output in TFLite's buffer layout.
func TestModelStringTensors(t *testing.T) {
	write := func(name string, in func(b *build.Builder) int) string {
		b := build.New()
		x := in(b)
		out := b.Tensor("grams", models.String, []int{0}, nil)
		b.Op(ops.OpSkipGram, 1, []int{x}, []int{out}, build.Options{Type: build.OptSkipGram, Fields: []build.Field{{Slot: 0, Value: int32(1)}}})
		b.Output(out)
		data, err := b.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	fed := write("fed.tflite", func(b *build.Builder) int { return b.Input("sentence", models.String, []int{1}, nil) })
	code, out, errs := modelRunCLI("describe", fed)
	if code != 0 {
		t.Fatalf("describe: exit %d: %s", code, errs)
	}
	var d struct{ Inputs, Outputs []modelTensorJSON }
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Inputs) != 1 || d.Inputs[0].DType != "string" || len(d.Outputs) != 1 || d.Outputs[0].DType != "string" {
		t.Errorf("describe: inputs %+v outputs %+v, want one string each", d.Inputs, d.Outputs)
	}

	in := filepath.Join(t.TempDir(), "in0.bin")
	if err := os.WriteFile(in, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs = modelRunCLI("run", fed, "--in", in, "--out-dir", t.TempDir())
	if code != 1 || !strings.Contains(errs, `input 0 ("sentence") is a string tensor`) {
		t.Errorf("run with a string input: exit %d, stderr %q", code, errs)
	}

	fixed := write("const.tflite", func(b *build.Builder) int {
		return b.Const("sentence", models.String, []int{1}, build.Strings("hi yo"), nil)
	})
	dir := t.TempDir()
	if code, _, errs := modelRunCLI("run", fixed, "--out-dir", dir); code != 0 {
		t.Fatalf("run: exit %d: %s", code, errs)
	}
	got, err := os.ReadFile(filepath.Join(dir, "out0.bin"))
	if err != nil {
		t.Fatal(err)
	}
	want := "\x02\x00\x00\x00\x10\x00\x00\x00\x12\x00\x00\x00\x14\x00\x00\x00hiyo"
	if string(got) != want {
		t.Errorf("out0.bin = %q, want %q", got, want)
	}
}
