package ops

import (
	"math"
	"math/bits"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflite/flexbuf"
)

// The TensorFlow Lite Micro signal library (tflite-micro signal/): the
// custom operators of audio front ends such as micro_speech's
// audio_preprocessor models. Every kernel follows the TFLM reference C++
// (signal/src, signal/micro/kernels) to the bit, including its integer
// wrap-arounds; the few places where TFLM leaves memory undefined are
// written with zeros here (see Energy).
//
// Options are FlexBuffers maps in custom_options. TFLM reads them by
// position in the key-sorted map; reading them by key is the same thing
// for a well-formed map and also catches missing entries.
//
// Stateful kernels (spectral subtraction's noise estimate) keep their state
// in memory from Context.Alloc, zeroed in Prepare and by Kernel.Reset, as
// TFLM does in its Prepare and Reset.

// addSignal registers this family's kernels.
func addSignal(r *Resolver) {
	r.Custom["SignalWindow"] = &Kernel{MaxVersion: 1, Prepare: windowPrepare, Eval: windowEval}
	r.Custom["SignalFftAutoScale"] = &Kernel{MaxVersion: 1, Prepare: fftAutoScalePrepare, Eval: fftAutoScaleEval}
	r.Custom["SignalRfft"] = &Kernel{MaxVersion: 1, Prepare: rfftPrepare, Eval: rfftEval}
	r.Custom["SignalEnergy"] = &Kernel{MaxVersion: 1, Prepare: energyPrepare, Eval: energyEval}
	r.Custom["SignalFilterBank"] = &Kernel{MaxVersion: 1, Prepare: filterBankPrepare, Eval: filterBankEval}
	r.Custom["SignalFilterBankSquareRoot"] = &Kernel{MaxVersion: 1, Prepare: fbSqrtPrepare, Eval: fbSqrtEval}
	r.Custom["SignalFilterBankSpectralSubtraction"] = &Kernel{
		MaxVersion: 1, Prepare: spectralSubPrepare, Eval: spectralSubEval, Reset: spectralSubReset,
	}
	r.Custom["SignalFilterBankLog"] = &Kernel{MaxVersion: 1, Prepare: fbLogPrepare, Eval: fbLogEval}
	r.Custom["SignalPCAN"] = &Kernel{MaxVersion: 1, Prepare: pcanPrepare, Eval: pcanEval}
}

// signalOptions is the custom_options map of a signal node.
type signalOptions struct {
	n *Node
	m flexbuf.Map
}

func readSignalOptions(n *Node) (signalOptions, error) {
	root, err := flexbuf.Root(n.CustomOptions)
	if err != nil {
		return signalOptions{}, n.Errorf("custom options: %v", err)
	}
	m, err := root.Map()
	if err != nil {
		return signalOptions{}, n.Errorf("custom options: %v", err)
	}
	return signalOptions{n: n, m: m}, nil
}

// value returns the entry key, which must be present.
func (o signalOptions) value(key string) (flexbuf.Value, error) {
	v, ok, err := o.m.Get(key)
	if err != nil {
		return v, o.n.Errorf("custom option %q: %v", key, err)
	}
	if !ok || v.IsNull() {
		return v, o.n.Errorf("custom option %q is missing", key)
	}
	return v, nil
}

// int returns the integer entry key, which must lie in [lo, hi].
func (o signalOptions) int(key string, lo, hi int64) (int64, error) {
	v, err := o.value(key)
	if err != nil {
		return 0, err
	}
	i, err := v.Int()
	if err != nil {
		return 0, o.n.Errorf("custom option %q: %v", key, err)
	}
	if i < lo || i > hi {
		return 0, o.n.Errorf("custom option %q is %d, want %d..%d", key, i, lo, hi)
	}
	return i, nil
}

// int32 returns an entry that must fit an int32 (TFLM's ElementAsInt32).
func (o signalOptions) int32(key string) (int32, error) {
	i, err := o.int(key, math.MinInt32, math.MaxInt32)
	return int32(i), err
}

func (o signalOptions) bool(key string) (bool, error) {
	v, err := o.value(key)
	if err != nil {
		return false, err
	}
	b, err := v.Bool()
	if err != nil {
		return false, o.n.Errorf("custom option %q: %v", key, err)
	}
	return b, nil
}

// signalIO checks the operand counts and that every operand is present.
func signalIO(c Context, n *Node, ins, outs int) ([]*Tensor, []*Tensor, error) {
	if len(n.Inputs) != ins || len(n.Outputs) != outs {
		return nil, nil, n.Errorf("has %d inputs and %d outputs, want %d and %d", len(n.Inputs), len(n.Outputs), ins, outs)
	}
	in := make([]*Tensor, ins)
	out := make([]*Tensor, outs)
	for i := range in {
		if in[i] = c.Input(n, i); in[i] == nil {
			return nil, nil, n.Errorf("input %d is missing", i)
		}
	}
	for i := range out {
		if out[i] = c.Output(n, i); out[i] == nil {
			return nil, nil, n.Errorf("output %d is missing", i)
		}
	}
	return in, out, nil
}

// signalCheck checks a tensor's type and rank (rank < 0: any rank >= 1).
func signalCheck(n *Node, what string, t *Tensor, dt models.DType, rank int) error {
	if t.Type != dt {
		return n.Errorf("%s %q is %s, want %s", what, t.Name, t.Type, dt)
	}
	if (rank >= 0 && t.Dims() != rank) || (rank < 0 && t.Dims() < 1) {
		return n.Errorf("%s %q has shape %v, want rank %d", what, t.Name, t.Shape, rank)
	}
	return nil
}

// signalResize sets an output's shape, with an error that names the node.
func signalResize(c Context, n *Node, t *Tensor, shape []int) error {
	if err := c.Resize(t, shape); err != nil {
		return n.Errorf("output %q: %v", t.Name, err)
	}
	return nil
}

// msb32 is TFLM's MostSignificantBit32 as the GCC/Clang build computes it:
// the bit length of x, and 32 for x == 0.
func msb32(x uint32) uint32 {
	if x == 0 {
		return 32
	}
	return uint32(bits.Len32(x))
}

// msb64 is MostSignificantBit64 likewise (64 for x == 0).
func msb64(x uint64) uint32 {
	if x == 0 {
		return 64
	}
	return uint32(bits.Len64(x))
}

// ---- SignalWindow: out = sat16((in * window) >> shift), window repeated
// over the flattened input.

type windowState struct{ shift uint }

func windowPrepare(c Context, n *Node) error {
	ins, outs, err := signalIO(c, n, 2, 1)
	if err != nil {
		return err
	}
	in, w, out := ins[0], ins[1], outs[0]
	o, err := readSignalOptions(n)
	if err != nil {
		return err
	}
	shift, err := o.int("shift", 0, 31)
	if err != nil {
		return err
	}
	if err := signalCheck(n, "input", in, models.Int16, -1); err != nil {
		return err
	}
	if err := signalCheck(n, "weights", w, models.Int16, 1); err != nil {
		return err
	}
	if err := signalCheck(n, "output", out, models.Int16, in.Dims()); err != nil {
		return err
	}
	if w.Shape[0] == 0 || in.NumElements()%w.Shape[0] != 0 {
		return n.Errorf("input %v is not a whole number of %d-sample windows", in.Shape, w.Shape[0])
	}
	if err := signalResize(c, n, out, in.Shape); err != nil {
		return err
	}
	n.State = &windowState{shift: uint(shift)}
	return nil
}

func windowEval(c Context, n *Node) error {
	s, ok := n.State.(*windowState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, w, out := c.Input(n, 0).I16(), c.Input(n, 1).I16(), c.Output(n, 0).I16()
	for lo := 0; lo+len(w) <= len(in) && len(w) > 0; lo += len(w) {
		applyWindow(in[lo:lo+len(w)], w, s.shift, out[lo:lo+len(w)])
	}
	return nil
}

// applyWindow is tflm_signal::ApplyWindow.
func applyWindow(in, w []int16, shift uint, out []int16) {
	for i := range w {
		out[i] = sat16((int32(in[i]) * int32(w[i])) >> shift)
	}
}

func sat16(v int32) int16 {
	if v < math.MinInt16 {
		return math.MinInt16
	}
	if v > math.MaxInt16 {
		return math.MaxInt16
	}
	return int16(v)
}

// ---- SignalFftAutoScale: shift the frame left as far as its peak allows;
// output 1 is the shift.

func fftAutoScalePrepare(c Context, n *Node) error {
	ins, outs, err := signalIO(c, n, 1, 2)
	if err != nil {
		return err
	}
	in, out, bitsOut := ins[0], outs[0], outs[1]
	if err := signalCheck(n, "input", in, models.Int16, 1); err != nil {
		return err
	}
	if err := signalCheck(n, "output", out, models.Int16, 1); err != nil {
		return err
	}
	if err := signalCheck(n, "scale bits output", bitsOut, models.Int32, 0); err != nil {
		return err
	}
	if err := signalResize(c, n, out, in.Shape); err != nil {
		return err
	}
	if err := signalResize(c, n, bitsOut, []int{}); err != nil {
		return err
	}
	n.State = true
	return nil
}

func fftAutoScaleEval(c Context, n *Node) error {
	if n.State == nil {
		return n.Errorf("not prepared")
	}
	in, out, sb := c.Input(n, 0).I16(), c.Output(n, 0).I16(), c.Output(n, 1).I32()
	sb[0] = fftAutoScale(in, out)
	return nil
}

// maxAbs16 is tflm_signal::MaxAbs16 (portable version), including its
// quirk: -(-32768) stored back into int16 is -32768 again.
func maxAbs16(in []int16) int16 {
	var m int16
	for _, v := range in {
		if int32(v) > int32(m) {
			m = v
		} else if -int32(v) > int32(m) {
			m = int16(-int32(v))
		}
	}
	return m
}

// fftAutoScale is tflm_signal::FftAutoScale.
func fftAutoScale(in, out []int16) int32 {
	m := maxAbs16(in)
	// int16 -> uint32 sign-extends, as the C call does.
	scale := 16 - int32(msb32(uint32(int32(m)))) - 1
	if scale <= 0 {
		scale = 0
	}
	for i, v := range in {
		out[i] = int16(int32(v) * (1 << scale))
	}
	return scale
}

// ---- SignalEnergy: |X[k]|^2 of an int16 complex spectrum for k in
// [start_index, end_index).

type energyState struct{ start, end int }

func energyPrepare(c Context, n *Node) error {
	ins, outs, err := signalIO(c, n, 1, 1)
	if err != nil {
		return err
	}
	in, out := ins[0], outs[0]
	o, err := readSignalOptions(n)
	if err != nil {
		return err
	}
	start, err := o.int32("start_index")
	if err != nil {
		return err
	}
	end, err := o.int32("end_index")
	if err != nil {
		return err
	}
	if err := signalCheck(n, "input", in, models.Int16, 1); err != nil {
		return err
	}
	if err := signalCheck(n, "output", out, models.UInt32, 1); err != nil {
		return err
	}
	bins := in.Shape[0] / 2
	if start < 0 || start > end || int(end) > bins || int(end) > out.Shape[0] {
		return n.Errorf("bins [%d, %d) do not fit the %d-bin spectrum and the %d-element output", start, end, bins, out.Shape[0])
	}
	n.State = &energyState{start: int(start), end: int(end)}
	return nil
}

func energyEval(c Context, n *Node) error {
	s, ok := n.State.(*energyState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, out := c.Input(n, 0).I16(), c.Output(n, 0).U32()
	// TFLM leaves the bins outside [start, end) as they were (whatever the
	// arena held); they are zero here.
	clear(out[:s.start])
	clear(out[s.end:])
	spectrumToEnergy(in, s.start, s.end, out)
	return nil
}

// spectrumToEnergy is tflm_signal::SpectrumToEnergy: re^2 + im^2 in int32
// (wrapping for re = im = -32768), stored as uint32.
func spectrumToEnergy(in []int16, start, end int, out []uint32) {
	for i := start; i < end; i++ {
		re, im := int32(in[2*i]), int32(in[2*i+1])
		out[i] = uint32(re*re + im*im)
	}
}
