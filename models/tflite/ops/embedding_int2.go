package ops

// embRowInt2 dequantizes one row of a packed INT2 table (EMBEDDING_LOOKUP
// version 5) into dst. Four elements share a byte, the first in the lowest
// two bits; the row starts at byte first/4 as in LiteRT. Like LiteRT, each
// code is moved to the top two bits of an int8 (code*64) and multiplied by
// scale/64, which differs from code*scale only for subnormal scales.
func embRowInt2(n *Node, val *Tensor, first int, scale float32, dst []float32) error {
	start := first / 4
	if need := start + (len(dst)+3)/4; len(val.Data) < need {
		return n.Errorf("value tensor %q has %d bytes of data, row at element %d needs %d", val.Name, len(val.Data), first, need)
	}
	src, s := val.Data[start:], scale/64
	for j := range dst {
		dst[j] = float32(int8(src[j/4]<<(6-2*(j%4))&0xc0)) * s
	}
	return nil
}
