package ops

import (
	"encoding/binary"
	"math"

	"github.com/axle-edge/axle/models"
)

// LSH_PROJECTION projects the rows of its input with num_hash x num_bits
// float seeds: each bit is the sign of the (optionally weighted) sum over
// input rows of Fingerprint64(seed bytes ++ row bytes) taken as a signed
// int64, summed in float64 as TFLite does. DENSE writes every bit (int32
// 0 or 1); SPARSE packs each hash's bits into an int32 and adds
// hash_index << num_bits, so the buckets of different hashes do not
// overlap.
//
// The input may have any fixed-size type (rows are hashed as raw
// little-endian bytes, like TFLite on little-endian machines). SPARSE with
// 32 bits per hash is refused: TFLite computes 1 << 32 on an int there,
// which is undefined and differs between x86 and ARM. The key buffer (4
// seed bytes plus one row) is allocated at Prepare.

// LSHProjectionOptions.Type values of the schema.
const (
	lshSparse = 1
	lshDense  = 2
)

func addLSHProjection(r *Resolver) {
	r.Builtin[OpLshProjection] = &Kernel{MaxVersion: 1, Prepare: lshPrepare, Eval: lshEval}
}

type lshState struct {
	dense    bool
	hashes   int
	bits     int
	rows     int
	rowBytes int
	key      []byte
	shape    [1]int
}

func lshPrepare(c Context, n *Node) error {
	if (len(n.Inputs) != 2 && len(n.Inputs) != 3) || len(n.Outputs) != 1 {
		return n.Errorf("takes 2 or 3 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	hash, in, w, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Output(n, 0)
	if hash == nil || in == nil || out == nil {
		return n.Errorf("hash, input and output tensors are required")
	}
	switch {
	case hash.Type != models.Float32 || hash.Dims() != 2:
		return n.Errorf("hash tensor %q must be 2-D float32, got %s %v", hash.Name, hash.Type, hash.Shape)
	case hash.Shape[1] > 32:
		return n.Errorf("hash tensor %q has %d bits per hash, more than 32", hash.Name, hash.Shape[1])
	case in.Dims() < 1 || in.Shape[0] < 1:
		return n.Errorf("input tensor %q shape %v needs at least one row", in.Name, in.Shape)
	case in.Type.Size() == 0:
		return n.Errorf("input tensor %q type %s is not supported", in.Name, in.Type)
	case w != nil && (w.Type != models.Float32 || w.Dims() != 1 || w.Shape[0] != in.Shape[0]):
		return n.Errorf("weight tensor %q must be 1-D float32 with %d elements, got %s %v", w.Name, in.Shape[0], w.Type, w.Shape)
	case out.Type != models.Int32:
		return n.Errorf("output tensor %q must be int32, got %s", out.Name, out.Type)
	}
	elems, ok := mulChecked(in.Shape...)
	rowBytes := 0
	if ok {
		rowBytes, ok = mulChecked(elems/in.Shape[0], in.Type.Size())
	}
	if !ok || rowBytes > maxTensorBytes-4 {
		return n.Errorf("input tensor %q shape %v is too large", in.Name, in.Shape)
	}
	o := n.Opts.(*LSHProjectionOptions)
	st, _ := n.State.(*lshState)
	if st == nil {
		st = &lshState{}
	}
	st.hashes, st.bits, st.rows, st.rowBytes = hash.Shape[0], hash.Shape[1], in.Shape[0], rowBytes
	switch o.Type {
	case lshDense:
		st.dense = true
		size, ok := mulChecked(st.hashes, st.bits)
		if !ok {
			return n.Errorf("hash tensor %q shape %v is too large", hash.Name, hash.Shape)
		}
		st.shape[0] = size
	case lshSparse:
		if st.bits == 32 {
			return n.Errorf("sparse projection with 32 bits per hash is undefined in TFLite (1 << 32 on an int)")
		}
		st.dense = false
		st.shape[0] = st.hashes
	default:
		return n.Errorf("options: projection type %d is neither SPARSE (1) nor DENSE (2)", o.Type)
	}
	var err error
	if st.key, err = allocSlice[byte](c, 4+rowBytes); err != nil {
		return n.Errorf("key buffer: %v", err)
	}
	if err := c.Resize(out, st.shape[:]); err != nil {
		return n.Errorf("%v", err)
	}
	n.State = st
	return nil
}

// signBit is 1 when the weighted sum of the rows' fingerprints under seed
// is positive.
func (st *lshState) signBit(seed float32, in []byte, w []float32) int32 {
	binary.LittleEndian.PutUint32(st.key, math.Float32bits(seed))
	score := 0.0
	for r := range st.rows {
		copy(st.key[4:], in[r*st.rowBytes:(r+1)*st.rowBytes])
		v := float64(int64(fingerprint64(st.key)))
		if w != nil {
			v *= float64(w[r])
		}
		score += v
	}
	if score > 0 {
		return 1
	}
	return 0
}

func lshEval(c Context, n *Node) error {
	st := n.State.(*lshState)
	hash, in, wt, out := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2), c.Output(n, 0)
	if err := ewHaveData(n, hash, in, out); err != nil {
		return err
	}
	var w []float32
	if wt != nil {
		if err := ewHaveData(n, wt); err != nil {
			return err
		}
		w = wt.F32()
	}
	seeds, o := hash.F32(), out.I32()
	for i := range st.hashes {
		var sig int32
		for j := range st.bits {
			bit := st.signBit(seeds[i*st.bits+j], in.Data, w)
			if st.dense {
				o[i*st.bits+j] = bit
				continue
			}
			sig = sig<<1 | bit
		}
		if !st.dense {
			// int32 arithmetic wraps as TFLite's does in practice.
			o[i] = sig + int32(i)<<st.bits
		}
	}
	return nil
}
