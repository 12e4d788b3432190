package ops

// Same-shape float32 ADD, SUB and MUL with their fused activation clamp,
// the elementwise ops of the float ResNets (about 5% of ic_resnet8_float
// on the portable loop). The vector kernels compute the same IEEE sums,
// differences and products and clamp like ewClamp: x below lo becomes lo,
// above hi becomes hi, NaN and -0 pass unchanged, so every path is
// bit-identical.

// ewF32Kind numbers the operations the vector kernels know.
const (
	ewF32Add = iota
	ewF32Sub
	ewF32Mul
)

// ewF32Kernel is the kernel's number for op, false for the others.
func ewF32Kernel(op Op) (int, bool) {
	switch op {
	case OpAdd:
		return ewF32Add, true
	case OpSub:
		return ewF32Sub, true
	case OpMul:
		return ewF32Mul, true
	}
	return 0, false
}

// ewF32SameOn computes o = clamp(a op b) for len(o) elements of a and b on
// kernel path p: the vector kernel where op has one, ewArithRow for the
// rest.
func ewF32SameOn(p gemmPath, op Op, o, a, b []float32, lo, hi float32) {
	n := len(o)
	a, b = a[:n], b[:n]
	done := 0
	if kind, ok := ewF32Kernel(op); ok && p != pathGo {
		done = ewF32Vec(kind, o, a, b, lo, hi)
	}
	ewArithRow(op, o[done:], a[done:], b[done:], lo, hi)
}
