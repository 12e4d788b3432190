package ops

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/axle-edge/axle/models"
)

// STABLEHLO_RNG_BIT_GENERATOR: random bits from a counter-based generator
// whose whole state travels through the graph, as in TFLite:
//
//	initial_state u64[2|3] ──► output_state u64 (same shape)
//	                       └─► output int32, int64, uint32 or uint64
//
// The state is read as 32-bit little-endian words: words 0-1 are the key,
// words 2-3 a 64-bit block counter. Each block yields 4 words (PHILOX, and
// DEFAULT, which TFLite maps to PHILOX) or 2 words (THREEFRY); blocks fill
// the output's bytes in order, a 64-bit element taking two words low first,
// and the last block may be cut short. output_state is the input with the
// counter advanced by the number of blocks. PHILOX's upper counter words
// are state words 4-5 for a u64[3] state and the key words for a u64[2]
// one; they never change. THREEFRY takes a u64[2] state only.
//
// Options (StablehloRngBitGeneratorOptions in builtin_options_2):
// algorithm 0 (DEFAULT = 0, PHILOX = 1, THREEFRY = 2).

func addStablehloRngBitGenerator(r *Resolver) {
	r.Builtin[OpStablehloRngBitGenerator] = &Kernel{MaxVersion: 1, Prepare: shloRngPrepare, Eval: shloRngEval}
}

// RngAlgorithm values of the schema.
const (
	rngDefault  = 0
	rngPhilox   = 1
	rngThreefry = 2
)

type shloRngState struct {
	threefry bool
	words    int // 32-bit words of output (ewHaveData guarantees them)
}

func shloRngPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 1 || len(n.Outputs) != 2 {
		return n.Errorf("takes 1 input (initial_state) and 2 outputs (output_state, output), got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, ks, out := c.Input(n, 0), c.Output(n, 0), c.Output(n, 1)
	if in == nil || ks == nil || out == nil {
		return n.Errorf("initial_state, output_state and output tensors are required")
	}
	algo := n.Opts.(*StablehloRngBitGeneratorOptions).Algorithm
	if algo != rngDefault && algo != rngPhilox && algo != rngThreefry {
		return n.Errorf("algorithm %d is not DEFAULT (0), PHILOX (1) or THREEFRY (2)", algo)
	}
	if in.Type != models.UInt64 || in.Dims() != 1 {
		return n.Errorf("initial_state tensor %q must be 1-D uint64, got %s %v", in.Name, in.Type, in.Shape)
	}
	if algo == rngThreefry && in.Shape[0] != 2 {
		return n.Errorf("initial_state tensor %q has shape %v; THREEFRY takes a state of 2 uint64", in.Name, in.Shape)
	}
	if algo != rngThreefry && in.Shape[0] != 2 && in.Shape[0] != 3 {
		return n.Errorf("initial_state tensor %q has shape %v; PHILOX takes a state of 2 or 3 uint64", in.Name, in.Shape)
	}
	if ks.Type != models.UInt64 || !sameShape(ks.Shape, in.Shape) {
		return n.Errorf("output_state tensor %q is %s %v, want uint64 %v like initial_state %q", ks.Name, ks.Type, ks.Shape, in.Shape, in.Name)
	}
	var perElem int
	switch out.Type {
	case models.Int32, models.UInt32:
		perElem = 1
	case models.Int64, models.UInt64:
		perElem = 2
	default:
		return n.Errorf("output tensor %q: type %s is not supported (int32, int64, uint32, uint64)", out.Name, out.Type)
	}
	if out.Dynamic {
		return n.Errorf("output tensor %q must have a static shape", out.Name)
	}
	elems, ok := mulChecked(out.Shape...)
	if !ok || elems > math.MaxInt/8 {
		return n.Errorf("output tensor %q shape %v is invalid or too large", out.Name, out.Shape)
	}
	if err := c.Resize(ks, in.Shape); err != nil {
		return n.Errorf("%v", err)
	}
	if err := c.Resize(out, out.Shape); err != nil {
		return n.Errorf("%v", err)
	}
	st, _ := n.State.(*shloRngState)
	if st == nil {
		st = &shloRngState{}
		n.State = st
	}
	st.threefry, st.words = algo == rngThreefry, elems*perElem
	return nil
}

func shloRngEval(c Context, n *Node) error {
	st, ok := n.State.(*shloRngState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, ks, out := c.Input(n, 0), c.Output(n, 0), c.Output(n, 1)
	if err := ewHaveData(n, in, ks, out); err != nil {
		return err
	}
	le := binary.LittleEndian
	word := func(i int) uint32 { return le.Uint32(in.Data[4*i:]) }
	k0, k1 := word(0), word(1)
	ctr := uint64(word(2)) | uint64(word(3))<<32
	dst := out.Data[:4*st.words]
	if st.threefry {
		for len(dst) > 0 {
			x0, x1 := threefry2x32(k0, k1, uint32(ctr), uint32(ctr>>32))
			dst = putWords(dst, x0, x1)
			ctr++
		}
	} else {
		// The upper counter half: state words 4-5, or the key for a
		// two-word state.
		c2, c3 := k0, k1
		if in.Shape[0] == 3 {
			c2, c3 = word(4), word(5)
		}
		for len(dst) > 0 {
			p := philox{counter: [4]uint32{uint32(ctr), uint32(ctr >> 32), c2, c3}, key: [2]uint32{k0, k1}}
			b := p.next()
			dst = putWords(dst, b[0], b[1], b[2], b[3])
			ctr++
		}
		// Words past the first two uint64 pass through unchanged.
		copy(ks.Data[16:8*in.Shape[0]], in.Data[16:8*in.Shape[0]])
	}
	le.PutUint32(ks.Data[0:], k0)
	le.PutUint32(ks.Data[4:], k1)
	le.PutUint64(ks.Data[8:], ctr)
	return nil
}

// putWords writes as many of ws as fit into dst, little-endian, and
// returns the rest of dst.
func putWords(dst []byte, ws ...uint32) []byte {
	for _, w := range ws {
		if len(dst) == 0 {
			break
		}
		binary.LittleEndian.PutUint32(dst, w)
		dst = dst[4:]
	}
	return dst
}

// threefry2x32 is Threefry-2x32 with 20 rounds (Salmon et al., SC 2011):
// one 64-bit block of the counter (x0, x1) under the key (k0, k1).
func threefry2x32(k0, k1, x0, x1 uint32) (uint32, uint32) {
	ks := [3]uint32{k0, k1, k0 ^ k1 ^ 0x1BD11BDA}
	rot := [2][4]int{{13, 15, 26, 6}, {17, 29, 16, 24}}
	x0 += ks[0]
	x1 += ks[1]
	for s := 1; s <= 5; s++ {
		for _, r := range rot[(s-1)&1] {
			x0 += x1
			x1 = bits.RotateLeft32(x1, r) ^ x0
		}
		// Key injection after every four rounds.
		x0 += ks[s%3]
		x1 += ks[(s+1)%3] + uint32(s)
	}
	return x0, x1
}
