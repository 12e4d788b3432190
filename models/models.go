// Package models is the contract between the agent and model runtimes.
//
// A Runtime turns model bytes into a Model; a Model exposes its input and
// output tensors as raw little-endian bytes owned by the model, so callers fill
// inputs and read outputs in place without copies or allocations. The pure-Go
// TFLite interpreter (models/tflite) implements it; agent/cmd/axle is where
// the runtime is chosen.
package models

import (
	"context"
	"fmt"
	"unsafe"
)

// DType is the element type of a tensor.
type DType uint8

// Element types. The names returned by String match the conformance corpus and
// the JSON of `axle model describe`.
const (
	Unknown DType = iota
	Float32
	Float16
	Float64
	Int8
	UInt8
	Int16
	UInt16
	Int32
	UInt32
	Int64
	UInt64
	Bool
	String
	Complex64
	Resource
	Variant
	Int4
	Complex128
	// The narrow types of LiteRT's newer kernels. INT2 is packed four per
	// byte (lowest bits first) like INT4's two; the float8 types are the
	// OCP FP8 formats (E4M3 finite-only with NaN, E5M2 IEEE-like);
	// BFloat16 is the top half of a float32.
	Int2
	BFloat16
	Float8E4M3FN
	Float8E5M2
	// UInt4 is unsigned 4-bit, packed two per byte like INT4 (LiteRT's
	// CAST, QUANTIZE and DEQUANTIZE take it).
	UInt4
)

var dtypeNames = [...]string{
	Unknown: "unknown", Float32: "float32", Float16: "float16", Float64: "float64",
	Int8: "int8", UInt8: "uint8", Int16: "int16", UInt16: "uint16",
	Int32: "int32", UInt32: "uint32", Int64: "int64", UInt64: "uint64",
	Bool: "bool", String: "string", Complex64: "complex64",
	Resource: "resource", Variant: "variant", Int4: "int4",
	Complex128: "complex128", Int2: "int2", BFloat16: "bfloat16",
	Float8E4M3FN: "float8_e4m3fn", Float8E5M2: "float8_e5m2", UInt4: "uint4",
}

func (d DType) String() string {
	if int(d) < len(dtypeNames) {
		return dtypeNames[d]
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// ParseDType returns the DType named s (as printed by String).
func ParseDType(s string) (DType, error) {
	for i, n := range dtypeNames {
		if n == s {
			return DType(i), nil
		}
	}
	return Unknown, fmt.Errorf("models: unknown dtype %q", s)
}

// Size is the size of one element in bytes; 0 for types without a fixed size
// (strings, and the packed INT4, UINT4 and INT2).
func (d DType) Size() int {
	switch d {
	case Int8, UInt8, Bool, Float8E4M3FN, Float8E5M2:
		return 1
	case Float16, BFloat16, Int16, UInt16:
		return 2
	case Float32, Int32, UInt32:
		return 4
	case Float64, Int64, UInt64, Complex64:
		return 8
	case Complex128:
		return 16
	}
	return 0
}

// Quant describes affine quantization: real = Scale * (q - ZeroPoint).
// Per-tensor quantization has one scale; per-channel quantization has one
// scale per slice along Axis.
type Quant struct {
	Scale     []float32
	ZeroPoint []int64
	Axis      int
}

// PerChannel reports whether q has more than one scale.
func (q *Quant) PerChannel() bool { return q != nil && len(q.Scale) > 1 }

// TensorInfo describes one input or output of a model.
type TensorInfo struct {
	Index int    // tensor index in the model's subgraph
	Name  string // tensor name from the model file
	DType DType
	Shape []int
	Quant *Quant // nil when the tensor is not quantized
	Bytes int    // size of the tensor data in bytes
}

// Elements is the number of elements of the tensor.
func (t TensorInfo) Elements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Model is a loaded, allocated model ready to run. It is not safe for
// concurrent use: one goroutine owns a Model.
type Model interface {
	Inputs() []TensorInfo
	Outputs() []TensorInfo
	// Input returns the writable bytes of input i; they stay valid until Close.
	Input(i int) []byte
	// Output returns the bytes of output i as of the last Invoke.
	Output(i int) []byte
	// Invoke runs the model once on the current inputs.
	Invoke(ctx context.Context) error
	// Reset clears state kept across invocations (variables, LSTM state).
	Reset() error
	Close() error
}

// Options tune how a Runtime loads a model.
type Options struct {
	// Threads is the number of goroutines heavy kernels may use; 0 or 1 runs
	// everything on the calling goroutine.
	Threads int
	// MaxBytes limits the memory a model may ask for (arena, dynamic tensors,
	// copies of constant data); 0 means the runtime's default limit.
	MaxBytes int64
	// Delegate names a hardware delegate for runtimes that have them.
	Delegate string
}

// Runtime loads models of one format.
type Runtime interface {
	Name() string
	Load(data []byte, opts Options) (Model, error)
}

// Float32s views b as float32 values. b must be 4-byte aligned, as the
// tensors a Model returns are.
func Float32s(b []byte) []float32 {
	if len(b) < 4 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}

// Int8s views b as int8 values.
func Int8s(b []byte) []int8 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*int8)(unsafe.Pointer(&b[0])), len(b))
}
