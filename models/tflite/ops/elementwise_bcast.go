package ops

// Broadcasting for the elementwise kernels.
//
// Prepare turns the shapes of up to three inputs into an ewPlan: the output
// shape is the numpy-style broadcast of the inputs (aligned on the right,
// each dimension equal or 1), size-1 output dimensions are dropped and
// neighbouring dimensions are merged whenever every input steps through them
// the same way (contiguous, or broadcast in both). What is left is a short
// list of dimensions whose innermost one is walked by a tight row loop:
//
//	same shapes       [2,3,4] + [2,3,4]   -> one row of 24, strides (1,1)
//	scalar            [2,3,4] + [1]       -> one row of 24, strides (1,0)
//	bias              [2,3,4] + [4]       -> 6 rows of 4,   strides (1,1)
//	outer product     [3,1]   + [1,4]     -> 3 rows of 4,   strides (0,1)
//
// Eval walks the outer dimensions with an odometer held on the stack, so it
// allocates nothing.

// ewMaxDims is how many dimensions are left after merging; TFLite itself
// broadcasts at most 6 (8 for SELECT_V2).
const ewMaxDims = 8

type ewPlan struct {
	rank   int // merged dimensions, innermost last; 0 for an empty output
	dims   [ewMaxDims]int
	stride [3][ewMaxDims]int // element strides of each input, 0 = broadcast
	n      int               // output elements
	inputs int
}

// ewBroadcastShape computes the broadcast of the given shapes into dst.
func ewBroadcastShape(n *Node, dst []int, shapes ...[]int) ([]int, error) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	dst = dst[:0]
	for i := range rank {
		d := 1
		for k, s := range shapes {
			j := i - (rank - len(s))
			if j < 0 {
				continue
			}
			e := s[j]
			switch {
			case e == d || e == 1:
			case d == 1:
				d = e
			default:
				return nil, n.Errorf("input shapes %v are not broadcast-compatible (input %d dimension %d is %d, others have %d)", shapes, k, j, e, d)
			}
		}
		dst = append(dst, d)
	}
	return dst, nil
}

// plan fills p for an output shape and the input shapes (which must
// broadcast to it).
func (p *ewPlan) plan(n *Node, out []int, shapes ...[]int) error {
	*p = ewPlan{inputs: len(shapes)}
	total := 1
	for _, d := range out {
		if d < 0 {
			return n.Errorf("negative dimension in shape %v", out)
		}
		total *= d
	}
	if total == 0 {
		return nil
	}
	p.n = total
	rank := len(out)
	// Strides of each input in the output's coordinates.
	var full [3][]int
	for k, s := range shapes {
		st := make([]int, rank)
		acc := 1
		for i := rank - 1; i >= 0; i-- {
			j := i - (rank - len(s))
			if j < 0 || s[j] == 1 {
				continue // broadcast: stride 0
			}
			st[i] = acc
			acc *= s[j]
		}
		full[k] = st
	}
	for i := range rank {
		d := out[i]
		if d == 1 {
			continue
		}
		if p.rank > 0 {
			last := p.rank - 1
			merge := true
			for k := range shapes {
				if p.stride[k][last] != full[k][i]*d {
					merge = false
					break
				}
			}
			if merge {
				p.dims[last] *= d
				for k := range shapes {
					p.stride[k][last] = full[k][i]
				}
				continue
			}
		}
		if p.rank == ewMaxDims {
			return n.Errorf("broadcasting shapes %v needs more than %d dimensions", shapes, ewMaxDims)
		}
		p.dims[p.rank] = d
		for k := range shapes {
			p.stride[k][p.rank] = full[k][i]
		}
		p.rank++
	}
	if p.rank == 0 { // every dimension is 1: a single element
		p.rank, p.dims[0] = 1, 1
	}
	return nil
}

// rows calls fn for every innermost row of the output: fn gets the output
// offset, each input's offset and the row length. Inner strides are
// p.inner(k).
func (p *ewPlan) rows(fn func(o, a, b, c, n int)) {
	if p.n == 0 {
		return
	}
	r := p.rank - 1
	n := p.dims[r]
	var idx [ewMaxDims]int
	var off [3]int
	for o := 0; o < p.n; o += n {
		fn(o, off[0], off[1], off[2], n)
		// Advance the odometer over the outer dimensions.
		for d := r - 1; d >= 0; d-- {
			idx[d]++
			for k := range p.inputs {
				off[k] += p.stride[k][d]
			}
			if idx[d] < p.dims[d] {
				break
			}
			for k := range p.inputs {
				off[k] -= p.stride[k][d] * idx[d]
			}
			idx[d] = 0
		}
	}
}

// inner is input k's stride along a row: 1 (contiguous) or 0 (broadcast).
func (p *ewPlan) inner(k int) int { return p.stride[k][p.rank-1] }

// ewRow returns input k's slice for a row: n elements, or the one element
// repeated along the row.
func ewRow[T any](p *ewPlan, k int, s []T, off, n int) []T {
	if p.inner(k) == 0 {
		return s[off : off+1]
	}
	return s[off : off+n]
}

// ewSameShape reports whether two shapes are equal.
func ewSameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ewHaveData checks that each tensor holds data for its shape, so that the
// typed views below can be sliced to exact lengths.
func ewHaveData(n *Node, ts ...*Tensor) error {
	for _, t := range ts {
		if need := t.NumElements() * t.Type.Size(); len(t.Data) < need {
			return n.Errorf("tensor %q has %d bytes of data, its shape %v needs %d", t.Name, len(t.Data), t.Shape, need)
		}
	}
	return nil
}

// bcastState is the whole state of a binary elementwise op whose output
// has its inputs' type and their broadcast shape (FLOOR_DIV, FLOOR_MOD,
// POW): the shape and the plan that walks it.
type bcastState struct {
	plan  ewPlan
	shape [ewMaxDims]int
}

// prepareBcast plans the broadcast of a and b into out, which takes a's
// type, keeping the state across re-prepares.
func prepareBcast(c Context, n *Node, a, b, out *Tensor) error {
	st, _ := n.State.(*bcastState)
	if st == nil {
		st = &bcastState{}
	}
	shape, err := ewBroadcastShape(n, st.shape[:0], a.Shape, b.Shape)
	if err != nil {
		return err
	}
	if err := st.plan.plan(n, shape, a.Shape, b.Shape); err != nil {
		return err
	}
	out.Type = a.Type
	n.State = st
	return c.Resize(out, shape)
}
