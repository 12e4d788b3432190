//go:build tflite

package tflitecgo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/demomodel"
)

// fakeLibEnv names the library the child process of
// TestLibraryWithoutSignatures loads.
const fakeLibEnv = "AXLE_TFLITECGO_FAKE_LIB"

// fakeLibC is a stand-in libtensorflowlite_c with every function axle
// needs except the signature runner API (as a TFLite before 2.7): an
// interpreter with no tensors whose calls all succeed.
func fakeLibC() string {
	var b strings.Builder
	b.WriteString("static int obj;\nconst char* TfLiteVersion(void) { return \"0.0-fake\"; }\n")
	for _, name := range []string{"TfLiteModelCreateWithErrorReporter", "TfLiteInterpreterOptionsCreate", "TfLiteInterpreterCreate"} {
		fmt.Fprintf(&b, "void* %s(void) { return &obj; }\n", name)
	}
	for _, name := range []string{
		"TfLiteModelDelete", "TfLiteInterpreterOptionsDelete", "TfLiteInterpreterOptionsSetNumThreads",
		"TfLiteInterpreterOptionsAddDelegate", "TfLiteInterpreterOptionsSetErrorReporter",
		"TfLiteInterpreterOptionsEnableCancellation", "TfLiteInterpreterDelete",
		"TfLiteInterpreterGetInputTensorCount", "TfLiteInterpreterGetInputTensor",
		"TfLiteInterpreterResizeInputTensor", "TfLiteInterpreterAllocateTensors", "TfLiteInterpreterInvoke",
		"TfLiteInterpreterGetOutputTensorCount", "TfLiteInterpreterGetOutputTensor", "TfLiteInterpreterCancel",
		"TfLiteInterpreterResetVariableTensors", "TfLiteInterpreterGetInputTensorIndex",
		"TfLiteInterpreterGetOutputTensorIndex", "TfLiteTensorType", "TfLiteTensorNumDims", "TfLiteTensorDim",
		"TfLiteTensorByteSize", "TfLiteTensorData", "TfLiteTensorName",
	} {
		// 0 is kTfLiteOk, an empty count, or a NULL tensor.
		fmt.Fprintf(&b, "long %s(void) { return 0; }\n", name)
	}
	return b.String()
}

// A library without the signature runner API still loads and runs
// subgraph 0; Signatures and Signature are errors naming the missing
// function. Runs in a child process: the process keeps the first library
// it opens. Needs gcc, not the real library.
func TestLibraryWithoutSignatures(t *testing.T) {
	if lib := os.Getenv(fakeLibEnv); lib != "" {
		m, err := Runtime{Library: lib}.LoadModel(demomodel.TFLite(), models.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if err := m.Invoke(context.Background()); err != nil {
			t.Fatalf("Invoke: %v", err)
		}
		const want = "has no TfLiteInterpreterGetSignatureCount"
		if _, err := m.Signatures(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Signatures: %v, want an error saying it %s", err, want)
		}
		if _, err := m.Signature("serving_default"); err == nil || !strings.Contains(err.Error(), want) || errors.Is(err, ErrClosed) {
			t.Errorf("Signature: %v, want an error saying it %s", err, want)
		}
		return
	}
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Fatalf("gcc is needed to build the stand-in library (it builds the tflite tag too): %v", err)
	}
	dir := t.TempDir()
	src, lib := filepath.Join(dir, "fake.c"), filepath.Join(dir, "libfake_tflite_c.so")
	if err := os.WriteFile(src, []byte(fakeLibC()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(gcc, "-shared", "-fPIC", "-o", lib, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLibraryWithoutSignatures$", "-test.count=1")
	cmd.Env = append(os.Environ(), fakeLibEnv+"="+lib)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
