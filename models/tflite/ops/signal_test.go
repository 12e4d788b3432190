package ops_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"math/cmplx"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/flexbuf"
)

// The TFLM signal-library kernels on generated one-operator models. The
// references are hand-worked values, float64 math (DFT, ln, sqrt) with the
// rounding the fixed-point code documents, and a few FFT outputs of the
// reference KissFFT v130 Q15 build.

// sigOperand is one operand of a signal test model: data == nil makes a
// model input (inputs) or an intermediate (outputs).
type sigOperand struct {
	dt    models.DType
	shape []int
	data  any
}

type sigModel struct {
	op   string
	opts flexbuf.Entries // nil: no custom options
	raw  []byte          // custom options bytes, used when opts is nil
	ins  []sigOperand
	outs []sigOperand
}

func (m sigModel) bytes(t *testing.T) []byte {
	t.Helper()
	b := build.New()
	var in, out []int
	for i, o := range m.ins {
		if o.data != nil {
			in = append(in, b.Const(fmt.Sprintf("c%d", i), o.dt, o.shape, o.data, nil))
		} else {
			in = append(in, b.Input(fmt.Sprintf("in%d", i), o.dt, o.shape, nil))
		}
	}
	for i, o := range m.outs {
		out = append(out, b.Tensor(fmt.Sprintf("out%d", i), o.dt, o.shape, nil))
	}
	opts := m.raw
	if m.opts != nil {
		var err error
		if opts, err = flexbuf.Encode(m.opts); err != nil {
			t.Fatal(err)
		}
	}
	b.CustomOp(m.op, 1, in, out, opts)
	b.Output(out...)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func (m sigModel) load(t *testing.T) *tflite.Interpreter {
	t.Helper()
	it, err := tflite.Load(m.bytes(t), models.Options{})
	if err != nil {
		t.Fatalf("%s: %v", m.op, err)
	}
	t.Cleanup(func() { it.Close() })
	return it
}

// put writes values into a tensor's bytes (little-endian).
func put(dst []byte, v any) {
	var b []byte
	switch x := v.(type) {
	case []int16:
		for _, e := range x {
			b = binary.LittleEndian.AppendUint16(b, uint16(e))
		}
	case []int32:
		for _, e := range x {
			b = binary.LittleEndian.AppendUint32(b, uint32(e))
		}
	case []uint32:
		for _, e := range x {
			b = binary.LittleEndian.AppendUint32(b, e)
		}
	case []uint64:
		for _, e := range x {
			b = binary.LittleEndian.AppendUint64(b, e)
		}
	case []float32:
		for _, e := range x {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(e))
		}
	default:
		panic(fmt.Sprintf("put %T", v))
	}
	if len(b) != len(dst) {
		panic(fmt.Sprintf("put: %d bytes into %d", len(b), len(dst)))
	}
	copy(dst, b)
}

// get reads a tensor's bytes as int64 values (or float64 bits for float32).
func get(dt models.DType, b []byte) []float64 {
	var out []float64
	for i := 0; i+dt.Size() <= len(b); i += dt.Size() {
		switch dt {
		case models.Int16:
			out = append(out, float64(int16(binary.LittleEndian.Uint16(b[i:]))))
		case models.Int32:
			out = append(out, float64(int32(binary.LittleEndian.Uint32(b[i:]))))
		case models.UInt32:
			out = append(out, float64(binary.LittleEndian.Uint32(b[i:])))
		case models.UInt64:
			out = append(out, float64(binary.LittleEndian.Uint64(b[i:])))
		case models.Float32:
			out = append(out, float64(math.Float32frombits(binary.LittleEndian.Uint32(b[i:]))))
		}
	}
	return out
}

func invoke(t *testing.T, it *tflite.Interpreter) {
	t.Helper()
	if err := it.Invoke(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func wantValues(t *testing.T, what string, got []float64, want ...float64) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestSignalWindow(t *testing.T) {
	m := sigModel{
		op:   "SignalWindow",
		opts: flexbuf.Entries{"shift": 12},
		ins: []sigOperand{
			{dt: models.Int16, shape: []int{2, 4}},
			{dt: models.Int16, shape: []int{4}, data: []int16{4096, 8192, 32767, 32767}},
		},
		outs: []sigOperand{{dt: models.Int16, shape: []int{2, 4}}},
	}
	it := m.load(t)
	put(it.Input(0), []int16{1000, -1000, 32767, -32768, 3, 3, 1, -1})
	invoke(t, it)
	// 32767*32767>>12 and -32768*32767>>12 saturate; the window repeats per row;
	// the shift floors (-1*32767>>12 = -8).
	wantValues(t, "window", get(models.Int16, it.Output(0)), 1000, -2000, 32767, -32768, 3, 6, 7, -8)
}

func TestSignalFftAutoScale(t *testing.T) {
	m := sigModel{
		op:   "SignalFftAutoScale",
		ins:  []sigOperand{{dt: models.Int16, shape: []int{3}}},
		outs: []sigOperand{{dt: models.Int16, shape: []int{3}}, {dt: models.Int32, shape: []int{}}},
	}
	it := m.load(t)
	for _, c := range []struct {
		in    []int16
		out   []float64
		scale float64
	}{
		// peak 300 has 9 bits: shift by 16-9-1 = 6.
		{[]int16{100, -300, 7}, []float64{6400, -19200, 448}, 6},
		{[]int16{0, 0, 0}, []float64{0, 0, 0}, 0},
		{[]int16{16384, 1, -2}, []float64{16384, 1, -2}, 0},
		// TFLM's MaxAbs16 keeps -(-32768) as int16 -32768, so the later 5
		// becomes the peak (3 bits, shift 12) and -32768<<12 wraps to 0.
		{[]int16{-32768, 5, 0}, []float64{0, 20480, 0}, 12},
	} {
		put(it.Input(0), c.in)
		invoke(t, it)
		wantValues(t, fmt.Sprint("scaled ", c.in), get(models.Int16, it.Output(0)), c.out...)
		wantValues(t, fmt.Sprint("scale bits ", c.in), get(models.Int32, it.Output(1)), c.scale)
	}
}

func TestSignalEnergy(t *testing.T) {
	m := sigModel{
		op:   "SignalEnergy",
		opts: flexbuf.Entries{"start_index": 1, "end_index": 3},
		ins:  []sigOperand{{dt: models.Int16, shape: []int{8}}},
		outs: []sigOperand{{dt: models.UInt32, shape: []int{4}}},
	}
	it := m.load(t)
	put(it.Input(0), []int16{3, 4, -32768, -32768, 1, -1, 5, 5})
	invoke(t, it)
	// 2^30 + 2^30 wraps int32 to -2^31, read back as uint32 2^31.
	wantValues(t, "energy", get(models.UInt32, it.Output(0)), 0, 1<<31, 2, 0)
}

func TestSignalFilterBank(t *testing.T) {
	// Two channels over 6 bins. Entry 0 of the channel tables is the
	// scratch channel whose unweights go to channel 0.
	m := sigModel{
		op:   "SignalFilterBank",
		opts: flexbuf.Entries{"num_channels": 2},
		ins: []sigOperand{
			{dt: models.UInt32, shape: []int{6}},
			{dt: models.Int16, shape: []int{5}, data: []int16{1, 2, 3, 4, -1}},
			{dt: models.Int16, shape: []int{5}, data: []int16{10, 20, 30, 40, 50}},
			{dt: models.Int16, shape: []int{3}, data: []int16{0, 1, 3}}, // frequency starts
			{dt: models.Int16, shape: []int{3}, data: []int16{0, 1, 3}}, // weight starts
			{dt: models.Int16, shape: []int{3}, data: []int16{1, 2, 2}}, // widths
		},
		outs: []sigOperand{{dt: models.UInt64, shape: []int{2}}},
	}
	it := m.load(t)
	put(it.Input(0), []uint32{100, 1000, 10000, 100000, 2, 7})
	invoke(t, it)
	// channel 0: weights of bins 1-2 (2*1000 + 3*10000) + unweights of bin 0 (10*100)
	// channel 1: weights of bins 3-4 (4*100000 - 1*2) + unweights of bins 1-2
	//            (20*1000 + 30*10000)
	wantValues(t, "filter bank", get(models.UInt64, it.Output(0)), 2000+30000+1000, 400000-2+20000+300000)

	bad := m
	bad.ins = append([]sigOperand(nil), m.ins...)
	bad.ins[5] = sigOperand{dt: models.Int16, shape: []int{3}, data: []int16{1, 2, 4}}
	if _, err := tflite.Load(bad.bytes(t), models.Options{}); err == nil || !strings.Contains(err.Error(), "does not fit") {
		t.Errorf("a channel past the spectrum: err = %v", err)
	}
}

// isqrtRounded is floor(sqrt(x)) plus one when the remainder exceeds the
// root, which is how TFLM's Sqrt32/Sqrt64 round (capped at the width).
func isqrtRounded(x uint64, limit uint64) uint64 {
	r := new(big.Int).Sqrt(new(big.Int).SetUint64(x)).Uint64()
	if x-r*r > r && r != limit {
		r++
	}
	return r
}

func TestSignalFilterBankSquareRoot(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	in := []uint64{0, 1, 2, 3, 12, 13, 1 << 32, math.MaxUint32, math.MaxUint64, 4294836225, 4294967295 - 1}
	for len(in) < 64 {
		in = append(in, rng.Uint64()>>rng.IntN(64))
	}
	m := sigModel{
		op:   "SignalFilterBankSquareRoot",
		ins:  []sigOperand{{dt: models.UInt64, shape: []int{len(in)}}, {dt: models.Int32, shape: []int{}}},
		outs: []sigOperand{{dt: models.UInt32, shape: []int{len(in)}}},
	}
	it := m.load(t)
	put(it.Input(0), in)
	for _, shift := range []int32{0, 3} {
		put(it.Input(1), []int32{shift})
		invoke(t, it)
		got := get(models.UInt32, it.Output(0))
		for i, x := range in {
			var want uint64
			if x>>32 == 0 {
				want = isqrtRounded(x, 0xFFFF)
			} else {
				want = isqrtRounded(x, 0xFFFFFFFF)
			}
			want >>= shift
			if got[i] != float64(want) {
				t.Errorf("sqrt(%d)>>%d = %v, want %d", x, shift, got[i], want)
			}
		}
	}
	put(it.Input(1), []int32{-1})
	if err := it.Invoke(context.Background()); err == nil {
		t.Error("a negative scale shift: no error")
	}
}

func spectralSubModel(clamping bool) sigModel {
	return sigModel{
		op: "SignalFilterBankSpectralSubtraction",
		opts: flexbuf.Entries{
			"num_channels": 3, "smoothing": 409, "one_minus_smoothing": 15975,
			"alternate_smoothing": 983, "alternate_one_minus_smoothing": 15401,
			"min_signal_remaining": 819, "smoothing_bits": 10,
			"spectral_subtraction_bits": 14, "clamping": clamping,
		},
		ins:  []sigOperand{{dt: models.UInt32, shape: []int{3}}},
		outs: []sigOperand{{dt: models.UInt32, shape: []int{3}}, {dt: models.UInt32, shape: []int{3}}},
	}
}

func TestSignalSpectralSubtraction(t *testing.T) {
	for _, clamping := range []bool{false, true} {
		t.Run(fmt.Sprint("clamping=", clamping), func(t *testing.T) {
			it := spectralSubModel(clamping).load(t)
			rng := rand.New(rand.NewPCG(3, 4))
			noise := make([]uint64, 3)
			var first [2][]float64
			for step := range 40 {
				in := make([]uint32, 3)
				for i := range in {
					in[i] = uint32(rng.IntN(1 << 20))
					if step > 20 {
						in[i] >>= 8 // a quiet stretch: the estimate exceeds the signal
					}
				}
				put(it.Input(0), in)
				invoke(t, it)
				out, est := get(models.UInt32, it.Output(0)), get(models.UInt32, it.Output(1))
				if step == 0 {
					first = [2][]float64{out, est}
				}
				for i, x := range in {
					// The estimate is a one-pole low-pass of the signal with 10
					// extra fractional bits; coefficients in 1/16384.
					sm, oms := uint64(409), uint64(15975)
					if i%2 == 1 {
						sm, oms = 983, 15401
					}
					up := uint64(x) << 10
					noise[i] = (up*sm + noise[i]*oms) >> 14
					sub := min(noise[i], up)
					if clamping {
						noise[i] = sub
					}
					want := max((up-sub)>>10, uint64(x)*819>>14)
					if out[i] != float64(want) || est[i] != float64(noise[i]) {
						t.Fatalf("step %d channel %d: out %v estimate %v, want %d and %d", step, i, out[i], est[i], want, noise[i])
					}
				}
			}
			if a := testing.AllocsPerRun(10, func() { _ = it.Invoke(context.Background()) }); a != 0 {
				t.Errorf("Invoke allocates %v times", a)
			}
			if err := it.Reset(); err != nil {
				t.Fatal(err)
			}
			rng = rand.New(rand.NewPCG(3, 4))
			in := make([]uint32, 3)
			for i := range in {
				in[i] = uint32(rng.IntN(1 << 20))
			}
			put(it.Input(0), in)
			invoke(t, it)
			wantValues(t, "output after Reset", get(models.UInt32, it.Output(0)), first[0]...)
			wantValues(t, "estimate after Reset", get(models.UInt32, it.Output(1)), first[1]...)
		})
	}
}

func TestSignalPCAN(t *testing.T) {
	lut := make([]int16, 125)
	lut[0], lut[1] = -1, 4096
	lut[2], lut[3], lut[4] = 100, 64, 32 // the octave of x = 2..3 (for x >= 3)
	m := sigModel{
		op:   "SignalPCAN",
		opts: flexbuf.Entries{"snr_shift": 12},
		ins: []sigOperand{
			{dt: models.UInt32, shape: []int{4}},
			{dt: models.UInt32, shape: []int{4}},
			{dt: models.Int16, shape: []int{125}, data: lut},
		},
		outs: []sigOperand{{dt: models.UInt32, shape: []int{4}}},
	}
	it := m.load(t)
	put(it.Input(0), []uint32{8192, 4096, 1000 << 12, 1 << 20})
	put(it.Input(1), []uint32{1, 1, 3, 0})
	invoke(t, it)
	// gain(1) = 4096 = 1.0: snr 8192 (= 2.0 in 12 bits) gives x-1 = 1.0 in 6
	// bits = 64; snr 4096 gives x^2/4 = 0.25 -> 16.
	// gain(3): 10 fractional bits 512 of the octave, ((32*512>>5) + 64<<5) * 512
	// rounded >> 15 = 40, + 100 = 140; snr = 1000*140 = 140000 -> 140000>>6 - 64.
	// gain(0) = -1 sign-extends to 2^32-1: snr = (2^20 * (2^32-1)) >> 12.
	snr := uint64(1<<20) * (1<<32 - 1) >> 12
	wantValues(t, "pcan", get(models.UInt32, it.Output(0)), 64, 16, 140000>>6-64, float64(uint32(uint32(snr)>>6-64)))
}

func TestSignalFilterBankLog(t *testing.T) {
	in := []uint32{0, 1, 1024, 1 << 31, 3, 1000, 123456, 99, 65535, 65537, 1 << 20}
	rng := rand.New(rand.NewPCG(5, 6))
	for len(in) < 200 {
		in = append(in, rng.Uint32()>>rng.IntN(31))
	}
	run := func(corr, scale int) []float64 {
		m := sigModel{
			op:   "SignalFilterBankLog",
			opts: flexbuf.Entries{"input_correction_bits": corr, "output_scale": scale},
			ins:  []sigOperand{{dt: models.UInt32, shape: []int{len(in)}}},
			outs: []sigOperand{{dt: models.Int16, shape: []int{len(in)}}},
		}
		it := m.load(t)
		put(it.Input(0), in)
		invoke(t, it)
		return get(models.Int16, it.Output(0))
	}
	got := run(0, 64)
	// Exact at powers of two: ln(2) is 45426/65536, so ln(1024)*64 is
	// (64*454260 + 32768) >> 16 = 444.
	wantValues(t, "log of 0, 1, 1024", got[:3], 0, 0, 444)
	for i, x := range in {
		want := 0.0
		if x > 1 {
			want = math.Log(float64(x)) * 64
		}
		if math.Abs(got[i]-want) > 1.5 {
			t.Errorf("log(%d)*64 = %v, want %.2f", x, got[i], want)
		}
	}
	// The correction shift applies before the log: 1<<3 = 8 -> ln(8)*64.
	wantValues(t, "log with correction", run(3, 64)[1:2], math.Floor(math.Log(8)*64))
	// Saturation at int16.
	wantValues(t, "log saturated", run(0, 2000)[3:4], 32767)
}

// dft is the float64 DFT of a real row, bins 0..n/2.
func dft(x []float64, n int) []complex128 {
	out := make([]complex128, n/2+1)
	for k := range out {
		var s complex128
		for j, v := range x {
			s += complex(v, 0) * cmplx.Exp(complex(0, -2*math.Pi*float64(j*k)/float64(n)))
		}
		out[k] = s
	}
	return out
}

func TestSignalRfft(t *testing.T) {
	type fftCase struct {
		dt           models.DType
		fftLen, rows int
		inLen        int
	}
	var cases []fftCase
	for _, dt := range []models.DType{models.Int16, models.Int32, models.Float32} {
		for _, n := range []int{2, 8, 14, 20, 24, 30, 64, 98, 512} {
			cases = append(cases, fftCase{dt, n, 2, n - n/8})
		}
	}
	tensorType := map[models.DType]int{models.Float32: 0, models.Int32: 2, models.Int16: 7}
	for ci, c := range cases {
		t.Run(fmt.Sprintf("%s/%d", c.dt, c.fftLen), func(t *testing.T) {
			m := sigModel{
				op:   "SignalRfft",
				opts: flexbuf.Entries{"T": tensorType[c.dt], "fft_length": c.fftLen},
				ins:  []sigOperand{{dt: c.dt, shape: []int{c.rows, c.inLen}}},
				outs: []sigOperand{{dt: c.dt, shape: []int{c.rows, c.fftLen + 2}}},
			}
			it := m.load(t)
			rng := rand.New(rand.NewPCG(uint64(ci), 9))
			x := make([]float64, c.rows*c.inLen)
			var amp, scale, tol float64
			switch c.dt {
			case models.Int16:
				// Q15 KissFFT divides by the length as it goes: out = DFT/N,
				// a rounding per stage.
				amp, scale, tol = 16000, 1/float64(c.fftLen), 6
				v := make([]int16, len(x))
				for i := range v {
					v[i] = int16(rng.IntN(2*int(amp)) - int(amp))
					x[i] = float64(v[i])
				}
				put(it.Input(0), v)
			case models.Int32:
				amp, scale, tol = 1<<30, 1/float64(c.fftLen), 8
				v := make([]int32, len(x))
				for i := range v {
					v[i] = int32(rng.Int64N(2*int64(amp)) - int64(amp))
					x[i] = float64(v[i])
				}
				put(it.Input(0), v)
			default:
				amp, scale = 1, 1
				tol = 1e-5 * float64(c.fftLen)
				v := make([]float32, len(x))
				for i := range v {
					v[i] = float32(rng.Float64()*2 - 1)
					x[i] = float64(v[i])
				}
				put(it.Input(0), v)
			}
			invoke(t, it)
			got := get(c.dt, it.Output(0))
			for r := range c.rows {
				want := dft(x[r*c.inLen:(r+1)*c.inLen], c.fftLen)
				row := got[r*(c.fftLen+2) : (r+1)*(c.fftLen+2)]
				for k, w := range want {
					w *= complex(scale, 0)
					if d := cmplx.Abs(complex(row[2*k], row[2*k+1]) - w); d > tol {
						t.Fatalf("row %d bin %d = %v%+vi, want %.3f (off by %.3g)", r, k, row[2*k], row[2*k+1], w, d)
					}
				}
			}
			if a := testing.AllocsPerRun(10, func() { _ = it.Invoke(context.Background()) }); a != 0 {
				t.Errorf("Invoke allocates %v times", a)
			}
		})
	}
}

// TestSignalRfftKissQ15 pins the Q15 transform to outputs of the reference
// KissFFT v130 (FIXED_POINT=16) for radix 4x3, 2x5 and the generic radix 7,
// on the input ((37*i + 11) mod 251 - 125) * 200.
func TestSignalRfftKissQ15(t *testing.T) {
	golden := map[int][]float64{
		24: {-450, 0, -2040, 701, -2654, 7, -6657, -1167, 3619, 973, 916, 120, 482, -482, -2041, 4001, -562, 324, -742, -201, -2653, -1941, 916, 686, 482, 0},
		20: {-190, 0, -1190, 229, -1191, -1112, -1190, 7795, -1190, 318, -1190, -1320, -1190, 3815, -1190, 165, -1190, -1748, -1190, 2452, -1190, 0},
		14: {200, 0, -116, 500, -3699, 7682, -115, 142, -3700, 2950, -114, 55, -3700, 844, -114, 0},
	}
	for n, want := range golden {
		m := sigModel{
			op:   "SignalRfft",
			opts: flexbuf.Entries{"T": 7, "fft_length": n},
			ins:  []sigOperand{{dt: models.Int16, shape: []int{n}}},
			outs: []sigOperand{{dt: models.Int16, shape: []int{n + 2}}},
		}
		it := m.load(t)
		in := make([]int16, n)
		for i := range in {
			in[i] = int16(((37*i+11)%251 - 125) * 200)
		}
		put(it.Input(0), in)
		invoke(t, it)
		wantValues(t, fmt.Sprint("rfft ", n), get(models.Int16, it.Output(0)), want...)
	}
}

func TestSignalMalformed(t *testing.T) {
	window := func(opts flexbuf.Entries, raw []byte, wlen int) sigModel {
		return sigModel{
			op: "SignalWindow", opts: opts, raw: raw,
			ins: []sigOperand{
				{dt: models.Int16, shape: []int{1, 6}},
				{dt: models.Int16, shape: []int{wlen}, data: make([]int16, wlen)},
			},
			outs: []sigOperand{{dt: models.Int16, shape: []int{1, 6}}},
		}
	}
	rfft := func(opts flexbuf.Entries, dt models.DType, inLen int) sigModel {
		return sigModel{
			op: "SignalRfft", opts: opts,
			ins:  []sigOperand{{dt: dt, shape: []int{inLen}}},
			outs: []sigOperand{{dt: dt, shape: []int{18}}},
		}
	}
	for _, c := range []struct {
		name string
		m    sigModel
		want string
	}{
		{"window without options", window(nil, nil, 6), "custom options"},
		{"window garbage options", window(nil, []byte{1, 2, 3, 4, 9}, 6), "custom options"},
		{"window shift missing", window(flexbuf.Entries{"shft": 1}, nil, 6), `"shift" is missing`},
		{"window shift too large", window(flexbuf.Entries{"shift": 40}, nil, 6), `"shift" is 40`},
		{"window shift not a number", window(flexbuf.Entries{"shift": "x"}, nil, 6), `"shift"`},
		{"window length", window(flexbuf.Entries{"shift": 1}, nil, 4), "whole number"},
		{"rfft odd length", rfft(flexbuf.Entries{"T": 7, "fft_length": 15}, models.Int16, 8), "odd"},
		{"rfft input too long", rfft(flexbuf.Entries{"T": 7, "fft_length": 16}, models.Int16, 20), "longer than fft_length"},
		{"rfft type mismatch", rfft(flexbuf.Entries{"T": 0, "fft_length": 16}, models.Int16, 8), "option T"},
		{"rfft bad type", rfft(flexbuf.Entries{"fft_length": 16}, models.UInt8, 8), "want int16, int32 or float32"},
		{"energy range", sigModel{
			op: "SignalEnergy", opts: flexbuf.Entries{"start_index": 2, "end_index": 9},
			ins:  []sigOperand{{dt: models.Int16, shape: []int{8}}},
			outs: []sigOperand{{dt: models.UInt32, shape: []int{4}}},
		}, "do not fit"},
		{"spectral subtraction channels", func() sigModel {
			m := spectralSubModel(false)
			m.ins = []sigOperand{{dt: models.UInt32, shape: []int{4}}}
			return m
		}(), "num_channels is 3"},
		{"pcan short table", sigModel{
			op: "SignalPCAN", opts: flexbuf.Entries{"snr_shift": 6},
			ins: []sigOperand{
				{dt: models.UInt32, shape: []int{4}}, {dt: models.UInt32, shape: []int{4}},
				{dt: models.Int16, shape: []int{100}, data: make([]int16, 100)},
			},
			outs: []sigOperand{{dt: models.UInt32, shape: []int{4}}},
		}, "gain table"},
		{"log wrong input type", sigModel{
			op: "SignalFilterBankLog", opts: flexbuf.Entries{"input_correction_bits": 3, "output_scale": 64},
			ins:  []sigOperand{{dt: models.Int32, shape: []int{4}}},
			outs: []sigOperand{{dt: models.Int16, shape: []int{4}}},
		}, "want uint32"},
		{"square root operands", sigModel{
			op:   "SignalFilterBankSquareRoot",
			ins:  []sigOperand{{dt: models.UInt64, shape: []int{4}}},
			outs: []sigOperand{{dt: models.UInt32, shape: []int{4}}},
		}, "has 1 inputs"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := tflite.Load(c.m.bytes(t), models.Options{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one mentioning %q", err, c.want)
			}
		})
	}
}
