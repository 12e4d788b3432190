package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// The packed sub-byte types in CAST, QUANTIZE and DEQUANTIZE, as LiteRT's
// kernels take them: INT4 and UINT4 two a byte, INT2 four a byte, the first
// element in the lowest bits.
//
//   - CAST float32 -> int4/uint4/int2 clamps to the type's range and
//     truncates toward zero (a NaN becomes the maximum, as std::max(lo,
//     std::min(hi, x)) gives); CAST int4/uint4/int2 -> float32 converts
//     each code. LiteRT casts these types to and from float32 only.
//   - QUANTIZE float32 -> int4/uint4, per tensor only: round(x /
//     float(scale)) half away from zero, in float32, plus the zero point,
//     clamped.
//   - DEQUANTIZE int4/uint4/int2 -> float32: scale * (code - zero point),
//     per tensor or per channel (qzDequantizeEval).

// packedLayout describes a packed type: bits per element and its range.
func packedLayout(t models.DType) (bits uint, lo, hi int32, ok bool) {
	switch t {
	case models.Int4:
		return 4, -8, 7, true
	case models.UInt4:
		return 4, 0, 15, true
	case models.Int2:
		return 2, -2, 1, true
	}
	return 0, 0, 0, false
}

func isPacked(t models.DType) bool {
	_, _, _, ok := packedLayout(t)
	return ok
}

// packedBytes is the data size of cnt packed elements.
func packedBytes(bits uint, cnt int) int { return (cnt*int(bits) + 7) / 8 }

// packedGet reads element i; signed types are sign-extended.
func packedGet(data []byte, i int, bits uint, signed bool) int32 {
	per := 8 / int(bits)
	b := data[i/per] >> (bits * uint(i%per))
	v := int32(b & (1<<bits - 1))
	if signed && v >= 1<<(bits-1) {
		v -= 1 << bits
	}
	return v
}

// packedPut writes element i, which must be in the type's range; the
// byte's other elements are kept.
func packedPut(data []byte, i int, bits uint, v int32) {
	per := 8 / int(bits)
	sh := bits * uint(i%per)
	m := byte(1<<bits-1) << sh
	data[i/per] = data[i/per]&^m | byte(v)<<sh&m
}

// packedCheck reports a packed tensor whose data is shorter than its shape
// needs.
func packedCheck(n *Node, t *Tensor, bits uint, cnt int) error {
	if need := packedBytes(bits, cnt); len(t.Data) < need {
		return n.Errorf("tensor %q has %d bytes of data, its %d %s elements need %d", t.Name, len(t.Data), cnt, t.Type, need)
	}
	return nil
}

func qzPackedCastPrepare(c Context, n *Node, in, out *Tensor) error {
	if !(isPacked(in.Type) && out.Type == models.Float32) && !(in.Type == models.Float32 && isPacked(out.Type)) {
		return n.Errorf("cast from %s to %s is not supported (int4, uint4 and int2 cast only to and from float32)", in.Type, out.Type)
	}
	return c.Resize(out, in.Shape)
}

func qzPackedCastEval(n *Node, in, out *Tensor) error {
	cnt := in.NumElements()
	if bits, _, _, ok := packedLayout(in.Type); ok {
		if err := packedCheck(n, in, bits, cnt); err != nil {
			return err
		}
		if err := ewHaveData(n, out); err != nil {
			return err
		}
		signed := in.Type != models.UInt4
		o := out.F32()[:cnt]
		for i := range o {
			o[i] = float32(packedGet(in.Data, i, bits, signed))
		}
		return nil
	}
	bits, lo, hi, _ := packedLayout(out.Type)
	if err := packedCheck(n, out, bits, cnt); err != nil {
		return err
	}
	if err := ewHaveData(n, in); err != nil {
		return err
	}
	flo, fhi := float32(lo), float32(hi)
	for i, x := range in.F32()[:cnt] {
		v := fhi
		if x < fhi {
			v = x
		}
		if !(flo < v) {
			v = flo
		}
		packedPut(out.Data, i, bits, int32(v))
	}
	return nil
}

// qzQuantizePacked is QUANTIZE float32 -> int4 or uint4 (per tensor).
func qzQuantizePacked(n *Node, st *qzQuantize, in, out *Tensor) error {
	bits, lo, hi, _ := packedLayout(out.Type)
	cnt := in.NumElements()
	if err := packedCheck(n, out, bits, cnt); err != nil {
		return err
	}
	if err := ewHaveData(n, in); err != nil {
		return err
	}
	s := float32(st.scale)
	for i, x := range in.F32()[:cnt] {
		q := int64(ewSatInt32(math.Round(float64(x/s)))) + int64(st.outZP)
		packedPut(out.Data, i, bits, int32(min(max(q, int64(lo)), int64(hi))))
	}
	return nil
}
