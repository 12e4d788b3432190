package ops

// DYNAMIC_UPDATE_SLICE on packed INT4 tensors (version 5). Element e of a
// tensor sits in byte e/2, the low nibble for even e and the high one for
// odd e, so rows do not start on byte boundaries: the update is written one
// nibble at a time, as LiteRT's kernel does.

// dusEvalInt4 writes upd into a copy of op at start.
func dusEvalInt4(n *Node, op, upd, out *Tensor, start *[maxRank]int) error {
	opN, updN := op.NumElements(), upd.NumElements()
	for _, c := range []struct {
		t     *Tensor
		elems int
	}{{op, opN}, {upd, updN}, {out, opN}} {
		if need := (c.elems + 1) / 2; len(c.t.Data) < need {
			return n.Errorf("tensor %q has %d bytes of data, its %d int4 elements need %d", c.t.Name, len(c.t.Data), c.elems, need)
		}
	}
	opBytes := (opN + 1) / 2
	if !sameData(out.Data, op.Data) {
		copy(out.Data[:opBytes], op.Data[:opBytes])
	}
	if updN == 0 {
		return nil
	}
	rank := op.Dims()
	if updN == opN {
		// The update covers the operand: LiteRT copies it whole.
		copy(out.Data[:opBytes], upd.Data[:opBytes])
		return nil
	}
	var stride [maxRank]int
	s := 1
	for i := rank - 1; i >= 0; i-- {
		stride[i] = s
		s *= op.Shape[i]
	}
	row := upd.Shape[rank-1]
	var ix [maxRank]int
	for src := 0; src < updN; src += row {
		dst := 0
		for i := 0; i < rank; i++ {
			dst += (start[i] + ix[i]) * stride[i]
		}
		for j := 0; j < row; j++ {
			setNibble(out.Data, dst+j, nibble(upd.Data, src+j))
		}
		for i := rank - 2; i >= 0; i-- {
			if ix[i]++; ix[i] < upd.Shape[i] {
				break
			}
			ix[i] = 0
		}
	}
	return nil
}

// nibble is the raw 4 bits of packed element e.
func nibble(b []byte, e int) byte {
	if e&1 == 0 {
		return b[e/2] & 0x0f
	}
	return b[e/2] >> 4
}

// setNibble replaces the 4 bits of packed element e with v.
func setNibble(b []byte, e int, v byte) {
	if e&1 == 0 {
		b[e/2] = b[e/2]&0xf0 | v&0x0f
	} else {
		b[e/2] = b[e/2]&0x0f | v<<4
	}
}
