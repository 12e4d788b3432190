package ops

import (
	"crypto/rand"
	"encoding/binary"
	"math"
	"slices"

	"github.com/axle-edge/axle/models"
)

// RANDOM_UNIFORM, RANDOM_STANDARD_NORMAL and MULTINOMIAL draw from the
// Philox4x32-10 counter-based generator that TFLite uses, seeded the same
// way from RandomOptions (seed, seed2), so equal seeds give TFLite's
// numbers: uniform floats from the 23 low bits of each 32-bit word,
// normals by Box-Muller on word pairs, multinomial samples by inverting
// the categorical CDF with doubles made of two words. With both seeds 0
// TFLite seeds from the OS at random; so does axle (crypto/rand). The
// generator state advances across invocations, as in TFLite; Reset
// restores the seeded start.
//
// Box-Muller uses float32 log, sqrt, sin and cos: axle computes them in
// float64 and rounds, which can differ from the C library's float
// functions by one unit in the last place.

func addRandom(r *Resolver) {
	r.Builtin[OpRandomUniform] = &Kernel{MaxVersion: 1, Prepare: randomPrepare, Eval: randomEval, Reset: randomReset}
	r.Builtin[OpRandomStandardNormal] = &Kernel{MaxVersion: 1, Prepare: randomPrepare, Eval: randomEval, Reset: randomReset}
	r.Builtin[OpMultinomial] = &Kernel{MaxVersion: 1, Prepare: randomPrepare, Eval: randomEval, Reset: randomReset}
}

// philox is Philox4x32-10: a 128-bit counter and a 64-bit key.
type philox struct {
	counter [4]uint32
	key     [2]uint32
}

func newPhilox(seed, seed2 uint64) philox {
	return philox{
		key:     [2]uint32{uint32(seed), uint32(seed >> 32)},
		counter: [4]uint32{0, 0, uint32(seed2), uint32(seed2 >> 32)},
	}
}

// next returns four words and advances the counter by one.
func (p *philox) next() [4]uint32 {
	c, k := p.counter, p.key
	for r := 0; r < 10; r++ {
		if r > 0 {
			k[0] += 0x9E3779B9
			k[1] += 0xBB67AE85
		}
		p0 := uint64(0xD2511F53) * uint64(c[0])
		p1 := uint64(0xCD9E8D57) * uint64(c[2])
		c = [4]uint32{uint32(p1>>32) ^ c[1] ^ k[0], uint32(p1), uint32(p0>>32) ^ c[3] ^ k[1], uint32(p0)}
	}
	p.skip(1)
	return c
}

// skip advances the counter by n blocks of four words.
func (p *philox) skip(n uint64) {
	lo, hi := uint32(n), uint32(n>>32)
	p.counter[0] += lo
	if p.counter[0] < lo {
		hi++
	}
	p.counter[1] += hi
	if p.counter[1] < hi {
		p.counter[2]++
		if p.counter[2] == 0 {
			p.counter[3]++
		}
	}
}

// uint32ToFloat is a float in [0, 1) from the 23 low bits of x.
func uint32ToFloat(x uint32) float32 {
	return math.Float32frombits(127<<23|x&0x7fffff) - 1
}

// uint64ToDouble is a double in [0, 1) from 20 bits of x0 and 32 of x1.
func uint64ToDouble(x0, x1 uint32) float64 {
	man := uint64(x0&0xfffff)<<32 | uint64(x1)
	return math.Float64frombits(1023<<52|man) - 1
}

// boxMuller turns two words into two standard normal floats.
func boxMuller(x0, x1 uint32) (float32, float32) {
	u1 := uint32ToFloat(x0)
	if u1 < 1e-7 {
		u1 = 1e-7
	}
	v1 := float32(2 * math.Pi * float64(uint32ToFloat(x1)))
	u2 := float32(math.Sqrt(float64(float32(-2 * float32(math.Log(float64(u1)))))))
	s, c := math.Sincos(float64(v1))
	return float32(s) * u2, float32(c) * u2
}

type randomOpts struct{ seed, seed2 int64 }

func readRandomOptions(n *Node) randomOpts {
	o := n.Opts.(*RandomOptions)
	return randomOpts{seed: o.Seed, seed2: o.Seed2}
}

type randomState struct {
	start   philox
	rng     philox
	dynamic bool
	shape   []int
	cdf     []float64 // MULTINOMIAL: one row of the CDF
}

func randomPrepare(c Context, n *Node) error {
	multi := n.Op == OpMultinomial
	want := 1
	if multi {
		want = 2
	}
	if len(n.Inputs) != want || len(n.Outputs) != 1 {
		return n.Errorf("takes %d inputs and 1 output, got %d and %d", want, len(n.Inputs), len(n.Outputs))
	}
	out := c.Output(n, 0)
	for i := range want {
		if c.Input(n, i) == nil {
			return n.Errorf("input %d is required", i)
		}
	}
	if out == nil {
		return n.Errorf("output tensor is required")
	}
	st, _ := n.State.(*randomState)
	if st == nil {
		o := readRandomOptions(n)
		seed, seed2 := uint64(o.seed), uint64(o.seed2)
		if seed == 0 && seed2 == 0 {
			var b [16]byte
			if _, err := rand.Read(b[:]); err != nil {
				return n.Errorf("seeding from the OS: %v", err)
			}
			seed, seed2 = binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])
		}
		st = &randomState{start: newPhilox(seed, seed2)}
		st.rng = st.start
		n.State = st
	}
	if multi {
		return st.prepareMultinomial(c, n, out)
	}
	shape := c.Input(n, 0)
	if shape.Type != models.Int32 || shape.Dims() != 1 {
		return n.Errorf("shape tensor %q must be 1-D int32, got %s %v", shape.Name, shape.Type, shape.Shape)
	}
	if out.Type != models.Float32 {
		return n.Errorf("output tensor %q must be float32, got %s", out.Name, out.Type)
	}
	var err error
	if st.shape == nil {
		if st.shape, err = makeSlice[int](c, shape.Shape[0]); err != nil {
			return n.Errorf("%v", err)
		}
	}
	st.dynamic = !shape.Const
	if st.dynamic {
		c.SetDynamic(out)
		return nil
	}
	return st.resize(c, n, shape, out)
}

func (st *randomState) resize(c Context, n *Node, shape, out *Tensor) error {
	if err := checkData(n, "shape", shape, len(st.shape)); err != nil {
		return err
	}
	for i, d := range shape.I32()[:len(st.shape)] {
		if d < 0 {
			return n.Errorf("shape tensor %q: element %d is negative (%d)", shape.Name, i, d)
		}
		st.shape[i] = int(d)
	}
	if _, ok := mulChecked(st.shape...); !ok {
		return n.Errorf("output shape %v is too large", st.shape)
	}
	if err := c.Resize(out, st.shape); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func (st *randomState) prepareMultinomial(c Context, n *Node, out *Tensor) error {
	logits, num := c.Input(n, 0), c.Input(n, 1)
	if logits.Type != models.Float32 || logits.Dims() != 2 {
		return n.Errorf("logits tensor %q must be 2-D float32, got %s %v", logits.Name, logits.Type, logits.Shape)
	}
	if num.Type != models.Int32 || num.NumElements() != 1 {
		return n.Errorf("num_samples tensor %q must be one int32, got %s %v", num.Name, num.Type, num.Shape)
	}
	if out.Type != models.Int32 && out.Type != models.Int64 {
		return n.Errorf("output tensor %q must be int32 or int64, got %s", out.Name, out.Type)
	}
	var err error
	if st.cdf == nil && logits.Shape[1] > 0 {
		if st.cdf, err = allocSlice[float64](c, logits.Shape[1]); err != nil {
			return n.Errorf("cdf: %v", err)
		}
	}
	if st.shape == nil {
		if st.shape, err = makeSlice[int](c, 2); err != nil {
			return n.Errorf("%v", err)
		}
	}
	st.dynamic = !num.Const
	if st.dynamic {
		c.SetDynamic(out)
		return nil
	}
	return st.resizeMultinomial(c, n, logits, num, out)
}

func (st *randomState) resizeMultinomial(c Context, n *Node, logits, num, out *Tensor) error {
	if err := checkData(n, "num_samples", num, 1); err != nil {
		return err
	}
	k := num.I32()[0]
	if k < 0 {
		return n.Errorf("num_samples is negative (%d)", k)
	}
	st.shape[0], st.shape[1] = logits.Shape[0], int(k)
	if _, ok := mulChecked(st.shape...); !ok {
		return n.Errorf("output shape %v is too large", st.shape)
	}
	if err := c.Resize(out, st.shape); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func randomReset(n *Node) {
	if st, ok := n.State.(*randomState); ok {
		st.rng = st.start
	}
}

func randomEval(c Context, n *Node) error {
	st, ok := n.State.(*randomState)
	if !ok {
		return n.Errorf("not prepared")
	}
	out := c.Output(n, 0)
	if n.Op == OpMultinomial {
		logits, num := c.Input(n, 0), c.Input(n, 1)
		if st.dynamic {
			if err := st.resizeMultinomial(c, n, logits, num, out); err != nil {
				return err
			}
		}
		if err := ewHaveData(n, logits, out); err != nil {
			return err
		}
		st.multinomial(logits, out)
		return nil
	}
	if st.dynamic {
		if err := st.resize(c, n, c.Input(n, 0), out); err != nil {
			return err
		}
	}
	if err := ewHaveData(n, out); err != nil {
		return err
	}
	o := out.F32()[:out.NumElements()]
	for i := 0; i < len(o); i += 4 {
		w := st.rng.next()
		m := min(4, len(o)-i)
		if n.Op == OpRandomUniform {
			for j := range m {
				o[i+j] = uint32ToFloat(w[j])
			}
			continue
		}
		// Box-Muller on word pairs; an odd tail keeps the first of a pair.
		for j := 0; j < m; j += 2 {
			a, b := boxMuller(w[j], w[j+1])
			o[i+j] = a
			if j+1 < m {
				o[i+j+1] = b
			}
		}
	}
	return nil
}

// multinomial samples num classes per batch row from softmax(logits):
// TFLite draws from a copy of the generator and advances the generator
// itself past a fixed budget per call.
func (st *randomState) multinomial(logits, out *Tensor) {
	batch, classes, num := st.shape[0], logits.Shape[1], st.shape[1]
	g := st.rng
	st.rng.skip(uint64(batch) * uint64((num+3)/4*4) * 2 * 256)
	var words [4]uint32
	used := 4
	x := logits.F32()
	for b := 0; b < batch; b++ {
		row := x[b*classes : (b+1)*classes]
		mx := float32(-math.MaxFloat32)
		for _, v := range row {
			if !math.IsInf(float64(v), 0) && !math.IsNaN(float64(v)) {
				mx = max(mx, v)
			}
		}
		total := 0.0
		for i, v := range row {
			if !math.IsInf(float64(v), 0) && !math.IsNaN(float64(v)) {
				total += math.Exp(float64(v) - float64(mx))
			}
			st.cdf[i] = total
		}
		for j := 0; j < num; j++ {
			if used == 4 {
				words, used = g.next(), 0
			}
			find := uint64ToDouble(words[used], words[used+1]) * total
			used += 2
			k, _ := slices.BinarySearchFunc(st.cdf[:classes], find, func(e, t float64) int {
				if e <= t {
					return -1
				}
				return 1
			})
			if out.Type == models.Int32 {
				out.I32()[b*num+j] = int32(k)
			} else {
				out.I64()[b*num+j] = int64(k)
			}
		}
	}
}
