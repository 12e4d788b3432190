package ops

import "fmt"

// TRANSPOSE

type transposeState struct {
	esz int
	blk block
}

func transposePrepare(c Context, n *Node) error {
	in, out, err := io1(c, n, 2, 2)
	if err != nil {
		return err
	}
	perm := c.Input(n, 1)
	if perm == nil {
		return n.Errorf("perm input is missing")
	}
	if in.Dims() > maxRank {
		return n.Errorf("input has %d dimensions, at most %d are supported", in.Dims(), maxRank)
	}
	st := &transposeState{esz: in.Type.Size()}
	n.State = st
	if !perm.Const {
		c.SetDynamic(out)
		return nil
	}
	shape, err := st.plan(in, perm)
	if err != nil {
		return n.Errorf("%v", err)
	}
	return c.Resize(out, shape)
}

// plan validates the permutation and prepares the copy; it returns the
// output shape.
func (st *transposeState) plan(in, permT *Tensor) ([]int, error) {
	var buf [maxRank]int
	p, err := tensorInts(permT, "perm", buf[:0])
	if err != nil {
		return nil, err
	}
	rank := in.Dims()
	if permT.Dims() != 1 || len(p) != rank {
		return nil, fmt.Errorf("perm has shape %v, want [%d] for input %v", permT.Shape, rank, in.Shape)
	}
	var seen [maxRank]bool
	for i := range p {
		if p[i] < -rank || p[i] >= rank {
			return nil, fmt.Errorf("perm %v is out of range for rank %d", p, rank)
		}
		if p[i] < 0 {
			p[i] += rank
		}
		if seen[p[i]] {
			return nil, fmt.Errorf("perm %v repeats dimension %d", p, p[i])
		}
		seen[p[i]] = true
	}
	if _, err := shapeElems(in.Shape, st.esz); err != nil {
		return nil, fmt.Errorf("input: %v", err)
	}
	var inSt, outSt [maxRank]int
	stridesOf(in.Shape, inSt[:rank])
	shape := make([]int, rank)
	for i := range shape {
		shape[i] = in.Shape[p[i]]
	}
	stridesOf(shape, outSt[:rank])
	st.blk.reset(0, 0)
	for i := range shape {
		if err := st.blk.add(shape[i], outSt[i], inSt[p[i]]); err != nil {
			return nil, err
		}
	}
	return shape, nil
}

func transposeEval(c Context, n *Node) error {
	st := n.State.(*transposeState)
	in, out := c.Input(n, 0), c.Output(n, 0)
	if out.Dynamic {
		shape, err := st.plan(in, c.Input(n, 1))
		if err != nil {
			return n.Errorf("%v", err)
		}
		if err := c.Resize(out, shape); err != nil {
			return n.Errorf("resize output: %v", err)
		}
	}
	if err := st.blk.run(out.Data, in.Data, st.esz); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

// TILE

type tileState struct {
	esz, rank int
	in, mult  [maxRank]int
	inStride  [maxRank]int     // bytes
	outBlock  [maxRank + 1]int // bytes of the output sub-tensor from axis d on
	inBytes   int
}

func tilePrepare(c Context, n *Node) error {
	in, out, err := io1(c, n, 2, 2)
	if err != nil {
		return err
	}
	mult := c.Input(n, 1)
	if mult == nil {
		return n.Errorf("multiples input is missing")
	}
	if in.Dims() > maxRank {
		return n.Errorf("input has %d dimensions, at most %d are supported", in.Dims(), maxRank)
	}
	st := &tileState{esz: in.Type.Size()}
	n.State = st
	if !mult.Const {
		c.SetDynamic(out)
		return nil
	}
	shape, err := st.plan(in, mult)
	if err != nil {
		return n.Errorf("%v", err)
	}
	return c.Resize(out, shape)
}

func (st *tileState) plan(in, multT *Tensor) ([]int, error) {
	var buf [maxRank]int
	m, err := tensorInts(multT, "multiples", buf[:0])
	if err != nil {
		return nil, err
	}
	rank := in.Dims()
	if multT.Dims() != 1 || len(m) != rank {
		return nil, fmt.Errorf("multiples has shape %v, want [%d] for input %v", multT.Shape, rank, in.Shape)
	}
	st.inBytes, err = shapeElems(in.Shape, st.esz)
	if err != nil {
		return nil, fmt.Errorf("input: %v", err)
	}
	st.inBytes *= st.esz
	st.rank = rank
	shape := make([]int, rank)
	for i, k := range m {
		if k < 0 {
			return nil, fmt.Errorf("multiples %v has a negative entry", m)
		}
		st.in[i], st.mult[i] = in.Shape[i], k
		if k != 0 && in.Shape[i] > maxTensorBytes/k {
			return nil, fmt.Errorf("tiling %v by %v overflows", in.Shape, m)
		}
		shape[i] = in.Shape[i] * k
	}
	if _, err := shapeElems(shape, st.esz); err != nil {
		return nil, fmt.Errorf("output: %v", err)
	}
	stridesOf(in.Shape, st.inStride[:rank])
	st.outBlock[rank] = st.esz
	for d := rank - 1; d >= 0; d-- {
		st.inStride[d] *= st.esz
		st.outBlock[d] = st.outBlock[d+1] * shape[d]
	}
	return shape, nil
}

// tile writes the tiled sub-tensor for axes d.. at dst[dOff:], reading the
// input sub-tensor at src[sOff:]: each input slice along d is tiled
// recursively, then the result is repeated mult[d] times by doubling copies.
func (st *tileState) tile(dst, src []byte, d, dOff, sOff int) {
	var n int
	if d == st.rank-1 {
		n = st.in[d] * st.esz
		copy(dst[dOff:dOff+n], src[sOff:sOff+n])
	} else {
		sub := st.outBlock[d+1]
		for i := 0; i < st.in[d]; i++ {
			st.tile(dst, src, d+1, dOff+i*sub, sOff+i*st.inStride[d])
		}
		n = st.in[d] * sub
	}
	total := n * st.mult[d]
	for k := n; k < total; {
		k += copy(dst[dOff+k:dOff+total], dst[dOff:dOff+k])
	}
}

func tileEval(c Context, n *Node) error {
	st := n.State.(*tileState)
	in, out := c.Input(n, 0), c.Output(n, 0)
	if out.Dynamic {
		shape, err := st.plan(in, c.Input(n, 1))
		if err != nil {
			return n.Errorf("%v", err)
		}
		if err := c.Resize(out, shape); err != nil {
			return n.Errorf("resize output: %v", err)
		}
	}
	if len(out.Data) < st.outBlock[0] || len(in.Data) < st.inBytes {
		return n.Errorf("tensor data too small for input %v and output %v", in.Shape, out.Shape)
	}
	if st.outBlock[0] == 0 {
		return nil
	}
	if st.rank == 0 {
		copy(out.Data[:st.esz], in.Data)
		return nil
	}
	st.tile(out.Data, in.Data, 0, 0, 0)
	return nil
}
