package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// The filter bank half of the signal library: mel filter bank, its square
// root, spectral subtraction (noise estimate), PCAN gain control and the
// fixed-point log. Integer semantics follow TFLM's signal/src exactly.

// ---- SignalFilterBank: triangular filters over an energy spectrum, with
// weights and 1-weights accumulated into adjacent channels (uint64).

const (
	fbIn = iota
	fbWeights
	fbUnweights
	fbFreqStarts
	fbWeightStarts
	fbWidths
)

type filterBankState struct {
	channels int
	work     []uint64 // channels + 1 accumulators; element 0 is scratch
	checked  bool     // the constant tables were validated in Prepare
}

func filterBankPrepare(c Context, n *Node) error {
	ins, outs, err := signalIO(c, n, 6, 1)
	if err != nil {
		return err
	}
	o, err := readSignalOptions(n)
	if err != nil {
		return err
	}
	ch, err := o.int("num_channels", 1, 1<<20)
	if err != nil {
		return err
	}
	if err := signalCheck(n, "input", ins[fbIn], models.UInt32, 1); err != nil {
		return err
	}
	names := [...]string{"", "weights", "unweights", "channel frequency starts", "channel weight starts", "channel widths"}
	for i := fbWeights; i <= fbWidths; i++ {
		if err := signalCheck(n, names[i], ins[i], models.Int16, 1); err != nil {
			return err
		}
	}
	if err := signalCheck(n, "output", outs[0], models.UInt64, 1); err != nil {
		return err
	}
	for i := fbFreqStarts; i <= fbWidths; i++ {
		if ins[i].Shape[0] < int(ch)+1 {
			return n.Errorf("%s has %d entries, want num_channels+1 = %d", names[i], ins[i].Shape[0], ch+1)
		}
	}
	if ins[fbUnweights].Shape[0] != ins[fbWeights].Shape[0] {
		return n.Errorf("weights (%d) and unweights (%d) differ in length", ins[fbWeights].Shape[0], ins[fbUnweights].Shape[0])
	}
	if err := signalResize(c, n, outs[0], []int{int(ch)}); err != nil {
		return err
	}
	buf, err := c.Alloc(8 * (int(ch) + 1))
	if err != nil {
		return n.Errorf("work area: %v", err)
	}
	s := &filterBankState{channels: int(ch), work: view[uint64](buf)}
	if ins[fbFreqStarts].Const && ins[fbWeightStarts].Const && ins[fbWidths].Const {
		if err := s.check(n, ins); err != nil {
			return err
		}
		s.checked = true
	}
	n.State = s
	return nil
}

// check validates the channel tables against the input and weights, so
// Eval never reads out of range.
func (s *filterBankState) check(n *Node, ins []*Tensor) error {
	freq, wstart, width := ins[fbFreqStarts].I16(), ins[fbWeightStarts].I16(), ins[fbWidths].I16()
	nIn, nW := ins[fbIn].Shape[0], ins[fbWeights].Shape[0]
	for i := 0; i <= s.channels; i++ {
		f, w, k := int(freq[i]), int(wstart[i]), int(width[i])
		if k > 0 && (f < 0 || w < 0 || f+k > nIn || w+k > nW) {
			return n.Errorf("channel %d (frequency start %d, weight start %d, width %d) does not fit %d bins and %d weights", i-1, f, w, k, nIn, nW)
		}
	}
	return nil
}

func filterBankEval(c Context, n *Node) error {
	s, ok := n.State.(*filterBankState)
	if !ok {
		return n.Errorf("not prepared")
	}
	var ins [6]*Tensor
	for i := range ins {
		ins[i] = c.Input(n, i)
	}
	if !s.checked {
		if err := s.check(n, ins[:]); err != nil {
			return err
		}
	}
	filterbankAccumulate(ins[fbIn].U32(), ins[fbWeights].I16(), ins[fbUnweights].I16(),
		ins[fbFreqStarts].I16(), ins[fbWeightStarts].I16(), ins[fbWidths].I16(), s.work)
	copy(view[uint64](c.Output(n, 0).Data), s.work[1:])
	return nil
}

// filterbankAccumulate is tflm_signal::FilterbankAccumulateChannels: out
// has channels+1 entries; out[0] only collects the unweighted part that
// belongs to no channel. int16 weights are sign-extended to uint64 and the
// products wrap, as in C.
func filterbankAccumulate(in []uint32, w, uw, freq, wstart, width []int16, out []uint64) {
	var acc, unacc uint64
	for i := range out {
		f, ws := int(freq[i]), int(wstart[i])
		for j := 0; j < int(width[i]); j++ {
			x := uint64(in[f+j])
			acc += uint64(int64(w[ws+j])) * x
			unacc += uint64(int64(uw[ws+j])) * x
		}
		out[i] = acc
		acc, unacc = unacc, 0
	}
}

// ---- SignalFilterBankSquareRoot: sqrt of each channel, shifted right by
// the FFT auto-scale bits (input 1, a scalar).

func fbSqrtPrepare(c Context, n *Node) error {
	ins, outs, err := signalIO(c, n, 2, 1)
	if err != nil {
		return err
	}
	if err := signalCheck(n, "input", ins[0], models.UInt64, 1); err != nil {
		return err
	}
	if err := signalCheck(n, "scale bits", ins[1], models.Int32, 0); err != nil {
		return err
	}
	if err := signalCheck(n, "output", outs[0], models.UInt32, 1); err != nil {
		return err
	}
	if err := signalResize(c, n, outs[0], ins[0].Shape); err != nil {
		return err
	}
	n.State = true
	return nil
}

func fbSqrtEval(c Context, n *Node) error {
	if n.State == nil {
		return n.Errorf("not prepared")
	}
	in, out := view[uint64](c.Input(n, 0).Data), c.Output(n, 0).U32()
	shift := c.Input(n, 1).I32()[0]
	if shift < 0 {
		return n.Errorf("scale bits %d is negative", shift)
	}
	for i, v := range in {
		// A shift of 32 or more (undefined in C) gives 0.
		out[i] = sqrt64(v) >> uint(shift)
	}
	return nil
}

// sqrt32 is tflm_signal::Sqrt32: bitwise integer square root, rounded up
// when the remainder exceeds the root (unless that overflows 16 bits).
func sqrt32(num uint32) uint16 {
	if num == 0 {
		return 0
	}
	var res uint32
	top := (32 - msb32(num)) | 1
	bit := uint32(1) << (31 - top)
	for it := (31-top)/2 + 1; it > 0; it-- {
		if num >= res+bit {
			num -= res + bit
			res = res>>1 + bit
		} else {
			res >>= 1
		}
		bit >>= 2
	}
	if num > res && res != 0xFFFF {
		res++
	}
	return uint16(res)
}

// sqrt64 is tflm_signal::Sqrt64, which takes the 32-bit path whenever the
// upper word is clear.
func sqrt64(num uint64) uint32 {
	if num>>32 == 0 {
		return uint32(sqrt32(uint32(num)))
	}
	var res uint64
	top := (64 - msb64(num)) | 1
	bit := uint64(1) << (63 - top)
	for it := (63-top)/2 + 1; it > 0; it-- {
		if num >= res+bit {
			num -= res + bit
			res = res>>1 + bit
		} else {
			res >>= 1
		}
		bit >>= 2
	}
	if num > res && res != 0xFFFFFFFF {
		res++
	}
	return uint32(res)
}

// ---- SignalFilterBankSpectralSubtraction: a per-channel low-pass noise
// estimate (state) subtracted from the signal, floored at a fraction of
// it. Output 1 is a copy of the noise estimate.

type spectralSubState struct {
	channels                int
	smoothing, oneMinus     uint32
	altSmoothing, altOneMin uint32
	minRemaining            uint32
	smoothingBits, ssBits   uint
	clamping                bool
	noise                   []uint32
}

func spectralSubPrepare(c Context, n *Node) error {
	ins, outs, err := signalIO(c, n, 1, 2)
	if err != nil {
		return err
	}
	o, err := readSignalOptions(n)
	if err != nil {
		return err
	}
	ch, err := o.int("num_channels", 1, 1<<20)
	if err != nil {
		return err
	}
	s := &spectralSubState{channels: int(ch)}
	// TFLM reads these as int32 into uint32 fields.
	for _, f := range []struct {
		key string
		dst *uint32
	}{
		{"smoothing", &s.smoothing},
		{"one_minus_smoothing", &s.oneMinus},
		{"alternate_smoothing", &s.altSmoothing},
		{"alternate_one_minus_smoothing", &s.altOneMin},
		{"min_signal_remaining", &s.minRemaining},
	} {
		v, err := o.int32(f.key)
		if err != nil {
			return err
		}
		*f.dst = uint32(v)
	}
	sb, err := o.int("smoothing_bits", 0, 31)
	if err != nil {
		return err
	}
	ssb, err := o.int("spectral_subtraction_bits", 0, 63)
	if err != nil {
		return err
	}
	s.smoothingBits, s.ssBits = uint(sb), uint(ssb)
	if s.clamping, err = o.bool("clamping"); err != nil {
		return err
	}
	if err := signalCheck(n, "input", ins[0], models.UInt32, 1); err != nil {
		return err
	}
	for i, what := range []string{"output", "noise estimate output"} {
		if err := signalCheck(n, what, outs[i], models.UInt32, 1); err != nil {
			return err
		}
	}
	if ins[0].Shape[0] != s.channels {
		return n.Errorf("input has %d channels, num_channels is %d", ins[0].Shape[0], s.channels)
	}
	for _, t := range outs {
		if err := signalResize(c, n, t, []int{s.channels}); err != nil {
			return err
		}
	}
	buf, err := c.Alloc(4 * s.channels)
	if err != nil {
		return n.Errorf("noise estimate: %v", err)
	}
	s.noise = view[uint32](buf)[:s.channels]
	n.State = s
	return nil
}

// spectralSubReset zeroes the noise estimate (TFLM's Reset).
func spectralSubReset(n *Node) {
	if s, ok := n.State.(*spectralSubState); ok {
		clear(s.noise)
	}
}

func spectralSubEval(c Context, n *Node) error {
	s, ok := n.State.(*spectralSubState)
	if !ok {
		return n.Errorf("not prepared")
	}
	s.apply(c.Input(n, 0).U32(), c.Output(n, 0).U32())
	copy(c.Output(n, 1).U32(), s.noise)
	return nil
}

// apply is tflm_signal::FilterbankSpectralSubtraction; even channels use
// smoothing, odd ones the alternate coefficients.
func (s *spectralSubState) apply(in, out []uint32) {
	for i := 0; i < s.channels; i++ {
		sm, oms := s.smoothing, s.oneMinus
		if i&1 == 1 {
			sm, oms = s.altSmoothing, s.altOneMin
		}
		up := in[i] << s.smoothingBits
		s.noise[i] = uint32((uint64(up)*uint64(sm) + uint64(s.noise[i])*uint64(oms)) >> s.ssBits)
		est := s.noise[i]
		if est > up {
			est = up
			if s.clamping {
				s.noise[i] = est
			}
		}
		floor := uint32((uint64(in[i]) * uint64(s.minRemaining)) >> s.ssBits)
		sub := (up - est) >> s.smoothingBits
		out[i] = max(sub, floor)
	}
}

// ---- SignalPCAN: per-channel automatic gain control from the noise
// estimate (input 1) through a piecewise-quadratic gain table (input 2).

const (
	pcanSnrBits    = 12
	pcanOutputBits = 6
	// pcanLutLen is the table length WideDynamicFunction can reach: index
	// 4*32-6+2 for a 32-bit noise estimate.
	pcanLutLen = 125
)

type pcanState struct{ snrShift uint }

func pcanPrepare(c Context, n *Node) error {
	ins, outs, err := signalIO(c, n, 3, 1)
	if err != nil {
		return err
	}
	o, err := readSignalOptions(n)
	if err != nil {
		return err
	}
	shift, err := o.int("snr_shift", 0, 63)
	if err != nil {
		return err
	}
	if err := signalCheck(n, "input", ins[0], models.UInt32, 1); err != nil {
		return err
	}
	if err := signalCheck(n, "noise estimate", ins[1], models.UInt32, 1); err != nil {
		return err
	}
	if err := signalCheck(n, "gain table", ins[2], models.Int16, 1); err != nil {
		return err
	}
	if err := signalCheck(n, "output", outs[0], models.UInt32, 1); err != nil {
		return err
	}
	if ins[1].Shape[0] < ins[0].Shape[0] {
		return n.Errorf("noise estimate has %d channels, input %d", ins[1].Shape[0], ins[0].Shape[0])
	}
	if ins[2].Shape[0] < pcanLutLen {
		return n.Errorf("gain table has %d entries, want at least %d", ins[2].Shape[0], pcanLutLen)
	}
	if err := signalResize(c, n, outs[0], ins[0].Shape); err != nil {
		return err
	}
	n.State = &pcanState{snrShift: uint(shift)}
	return nil
}

func pcanEval(c Context, n *Node) error {
	s, ok := n.State.(*pcanState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, noise, lut, out := c.Input(n, 0).U32(), c.Input(n, 1).U32(), c.Input(n, 2).I16(), c.Output(n, 0).U32()
	for i, x := range in {
		// The int16 gain is sign-extended to uint32, as in C.
		gain := uint32(int32(wideDynamic(noise[i], lut)))
		snr := uint32((uint64(x) * uint64(gain)) >> s.snrShift)
		out[i] = pcanShrink(snr)
	}
	return nil
}

// wideDynamic is tflm_signal::WideDynamicFunction: a quadratic per octave
// of x, with 10 fractional bits of x as the position in the octave.
func wideDynamic(x uint32, lut []int16) int16 {
	if x <= 2 {
		return lut[x]
	}
	interval := int32(msb32(x))
	l := lut[4*interval-6:]
	var fr uint32
	if interval < 11 {
		fr = x << uint(11-interval)
	} else {
		fr = x >> uint(interval-11)
	}
	frac := int32(fr & 0x3FF)
	r := (int32(l[2]) * frac) >> 5
	r += int32(uint32(int32(l[1])) << 5)
	r *= frac
	r = (r + 1<<14) >> 15
	r += int32(l[0])
	return int16(r)
}

// pcanShrink is tflm_signal::PcanShrink: x^2/4 below 2, x-1 above, from
// pcanSnrBits to pcanOutputBits fractional bits.
func pcanShrink(x uint32) uint32 {
	if x < 2<<pcanSnrBits {
		return (x * x) >> (2 + 2*pcanSnrBits - pcanOutputBits)
	}
	return x>>(pcanSnrBits-pcanOutputBits) - 1<<pcanOutputBits
}

// ---- SignalFilterBankLog: fixed-point natural log, scaled, saturated to
// int16; 0 for inputs <= 1 (after the correction shift).

type fbLogState struct {
	correction uint
	scale      uint32
}

func fbLogPrepare(c Context, n *Node) error {
	ins, outs, err := signalIO(c, n, 1, 1)
	if err != nil {
		return err
	}
	o, err := readSignalOptions(n)
	if err != nil {
		return err
	}
	corr, err := o.int("input_correction_bits", 0, 31)
	if err != nil {
		return err
	}
	scale, err := o.int32("output_scale")
	if err != nil {
		return err
	}
	if err := signalCheck(n, "input", ins[0], models.UInt32, 1); err != nil {
		return err
	}
	if err := signalCheck(n, "output", outs[0], models.Int16, 1); err != nil {
		return err
	}
	if err := signalResize(c, n, outs[0], ins[0].Shape); err != nil {
		return err
	}
	n.State = &fbLogState{correction: uint(corr), scale: uint32(scale)}
	return nil
}

func fbLogEval(c Context, n *Node) error {
	s, ok := n.State.(*fbLogState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, out := c.Input(n, 0).U32(), c.Output(n, 0).I16()
	for i, x := range in {
		v := x << s.correction
		if v <= 1 {
			out[i] = 0
			continue
		}
		out[i] = int16(min(log32(v, s.scale), math.MaxInt16))
	}
	return nil
}

// logLut holds log2(1+f) - f for f in [0, 1] at 128 segments (plus
// padding), in 1/65536 units: the correction TFLM's Log32 interpolates.
var logLut = [130]uint16{
	0, 224, 442, 654, 861, 1063, 1259, 1450, 1636, 1817, 1992, 2163,
	2329, 2490, 2646, 2797, 2944, 3087, 3224, 3358, 3487, 3611, 3732, 3848,
	3960, 4068, 4172, 4272, 4368, 4460, 4549, 4633, 4714, 4791, 4864, 4934,
	5001, 5063, 5123, 5178, 5231, 5280, 5326, 5368, 5408, 5444, 5477, 5507,
	5533, 5557, 5578, 5595, 5610, 5622, 5631, 5637, 5640, 5641, 5638, 5633,
	5626, 5615, 5602, 5586, 5568, 5547, 5524, 5498, 5470, 5439, 5406, 5370,
	5332, 5291, 5249, 5203, 5156, 5106, 5054, 5000, 4944, 4885, 4825, 4762,
	4697, 4630, 4561, 4490, 4416, 4341, 4264, 4184, 4103, 4020, 3935, 3848,
	3759, 3668, 3575, 3481, 3384, 3286, 3186, 3084, 2981, 2875, 2768, 2659,
	2549, 2437, 2323, 2207, 2090, 1971, 1851, 1729, 1605, 1480, 1353, 1224,
	1094, 963, 830, 695, 559, 421, 282, 142, 0, 0,
}

const (
	logScaleBits    = 16
	logSegmentsBits = 7
	logCoeff        = 45426 // ln(2) in 1/65536 units
)

// log2Frac is the fractional part of log2(x) in 1/65536 units, given
// log2x = floor(log2(x)).
func log2Frac(x, log2x uint32) uint32 {
	frac := int32(int64(x) - int64(1)<<log2x)
	if log2x < logScaleBits {
		frac <<= logScaleBits - log2x
	} else {
		frac >>= log2x - logScaleBits
	}
	seg := uint32(frac) >> (logScaleBits - logSegmentsBits)
	c0, c1 := int32(logLut[seg]), int32(logLut[seg+1])
	segBase := int32((uint32(1) << logScaleBits >> logSegmentsBits) * seg)
	rel := ((c1 - c0) * (frac - segBase)) >> logScaleBits
	return uint32(frac + c0 + rel)
}

// log32 is tflm_signal::Log32: ln(x) * scale / 65536, rounded, for x >= 2.
func log32(x, scale uint32) uint32 {
	integer := msb32(x) - 1
	l2 := integer<<logScaleBits + log2Frac(x, integer)
	const round = 1 << (logScaleBits - 1)
	loge := uint32((uint64(logCoeff)*uint64(l2) + round) >> logScaleBits)
	return (scale*loge + round) >> logScaleBits
}
