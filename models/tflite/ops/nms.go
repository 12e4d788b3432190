package ops

import (
	"math"

	"github.com/axle-edge/axle/models"
)

// NON_MAX_SUPPRESSION_V4 (hard) and _V5 (soft, with a sigma input) select
// boxes ([n,4] corners y1,x1,y2,x2) greedily by score, as TFLite's
// reference NonMaxSuppression: candidates above score_threshold wait in a
// max-heap by score; a popped candidate is dropped when its IoU with a box
// selected since it was last examined reaches iou_threshold; with sigma > 0
// its score decays by exp(-0.5/sigma * iou^2) per such box, and a decayed
// candidate goes back into the heap. The heap reproduces libstdc++'s
// push_heap/pop_heap so that ties between equal scores resolve in the same
// order. Outputs: selected indices (int32, padded with zeros to
// max_output_size), for V5 their scores, and the number selected.

func addNMS(r *Resolver) {
	r.Builtin[OpNonMaxSuppressionV4] = &Kernel{MaxVersion: 1, Prepare: nmsPrepare, Eval: nmsEval}
	r.Builtin[OpNonMaxSuppressionV5] = &Kernel{MaxVersion: 1, Prepare: nmsPrepare, Eval: nmsEval}
}

type nmsCand struct {
	index         int32
	score         float32
	suppressBegin int32
}

type nmsState struct {
	soft    bool
	dynamic bool
	heap    []nmsCand
	shape   [1]int
}

func nmsPrepare(c Context, n *Node) error {
	soft := n.Op == OpNonMaxSuppressionV5
	wantIn, wantOut := 5, 2
	if soft {
		wantIn, wantOut = 6, 3
	}
	if len(n.Inputs) != wantIn || len(n.Outputs) != wantOut {
		return n.Errorf("takes %d inputs and %d outputs, got %d and %d", wantIn, wantOut, len(n.Inputs), len(n.Outputs))
	}
	for i := range wantIn {
		if c.Input(n, i) == nil {
			return n.Errorf("input %d is required", i)
		}
	}
	for i := range wantOut {
		if c.Output(n, i) == nil {
			return n.Errorf("output %d is required", i)
		}
	}
	boxes, scores, maxOut := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2)
	if boxes.Type != models.Float32 || boxes.Dims() != 2 || boxes.Shape[1] != 4 {
		return n.Errorf("boxes tensor %q must be float32 [n,4], got %s %v", boxes.Name, boxes.Type, boxes.Shape)
	}
	if scores.Type != models.Float32 || scores.Dims() != 1 || scores.Shape[0] != boxes.Shape[0] {
		return n.Errorf("scores tensor %q must be float32 [%d], got %s %v", scores.Name, boxes.Shape[0], scores.Type, scores.Shape)
	}
	if maxOut.Type != models.Int32 || maxOut.Dims() != 0 {
		return n.Errorf("max_output_size tensor %q must be an int32 scalar, got %s %v", maxOut.Name, maxOut.Type, maxOut.Shape)
	}
	names := []string{"iou_threshold", "score_threshold", "sigma"}
	for i := 3; i < wantIn; i++ {
		if t := c.Input(n, i); t.Type != models.Float32 || t.Dims() != 0 {
			return n.Errorf("%s tensor %q must be a float32 scalar, got %s %v", names[i-3], t.Name, t.Type, t.Shape)
		}
	}
	st := &nmsState{soft: soft, dynamic: !maxOut.Const}
	var err error
	if st.heap, err = makeSlice[nmsCand](c, boxes.Shape[0]); err != nil {
		return n.Errorf("candidate heap: %v", err)
	}
	n.State = st
	c.Output(n, 0).Type = models.Int32
	if soft {
		c.Output(n, 1).Type = models.Float32
	}
	num := c.Output(n, wantOut-1)
	num.Type = models.Int32
	if err := c.Resize(num, nil); err != nil {
		return n.Errorf("%v", err)
	}
	if st.dynamic {
		c.SetDynamic(c.Output(n, 0))
		if soft {
			c.SetDynamic(c.Output(n, 1))
		}
		return nil
	}
	return st.resize(c, n, maxOut)
}

func (st *nmsState) resize(c Context, n *Node, maxOut *Tensor) error {
	if err := checkData(n, "max_output_size", maxOut, 1); err != nil {
		return err
	}
	m := maxOut.I32()[0]
	if m < 0 {
		return n.Errorf("max_output_size is negative (%d)", m)
	}
	st.shape[0] = int(m)
	outs := 1
	if st.soft {
		outs = 2
	}
	for i := range outs {
		if err := c.Resize(c.Output(n, i), st.shape[:]); err != nil {
			return n.Errorf("%v", err)
		}
	}
	return nil
}

func nmsEval(c Context, n *Node) error {
	st, ok := n.State.(*nmsState)
	if !ok {
		return n.Errorf("not prepared")
	}
	boxes, scores, maxOut := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2)
	if st.dynamic {
		if err := st.resize(c, n, maxOut); err != nil {
			return err
		}
	}
	nb := boxes.Shape[0]
	iouT, scoreT := c.Input(n, 3), c.Input(n, 4)
	if err := ewHaveData(n, boxes, scores, iouT, scoreT); err != nil {
		return err
	}
	var sigma float32
	if st.soft {
		s := c.Input(n, 5)
		if err := ewHaveData(n, s); err != nil {
			return err
		}
		if sigma = s.F32()[0]; sigma < 0 {
			return n.Errorf("sigma %g is negative", sigma)
		}
	}
	m := st.shape[0]
	idxOut, numOut := c.Output(n, 0), c.Output(n, len(n.Outputs)-1)
	if err := checkData(n, "selected_indices", idxOut, m); err != nil {
		return err
	}
	if err := checkData(n, "num_selected", numOut, 1); err != nil {
		return err
	}
	sel := idxOut.I32()[:m]
	var selScores []float32
	if st.soft {
		so := c.Output(n, 1)
		if err := checkData(n, "selected_scores", so, m); err != nil {
			return err
		}
		selScores = so.F32()[:m]
	}
	cnt := nmsRun(st.heap[:0], boxes.F32()[:4*nb], scores.F32()[:nb], m, iouT.F32()[0], scoreT.F32()[0], sigma, sel, selScores)
	clear(sel[cnt:])
	if selScores != nil {
		clear(selScores[cnt:])
	}
	numOut.I32()[0] = int32(cnt)
	return nil
}

func nmsRun(h []nmsCand, boxes, scores []float32, maxOut int, iouT, scoreT, sigma float32, sel []int32, selScores []float32) int {
	for i, s := range scores {
		if s > scoreT {
			h = nmsPush(append(h, nmsCand{index: int32(i), score: s}))
		}
	}
	num := min(len(h), maxOut)
	if num == 0 {
		return 0
	}
	var scale float32
	if sigma > 0 {
		scale = float32(-0.5 / float64(sigma))
	}
	cnt := 0
	for cnt < num && len(h) > 0 {
		next := h[0]
		h = nmsPop(h)
		orig := next.score
		hard := false
		for j := cnt - 1; j >= int(next.suppressBegin); j-- {
			iou := nmsIoU(boxes, int(next.index), int(sel[j]))
			if iou >= iouT {
				hard = true
				break
			}
			if sigma > 0 {
				next.score = next.score * float32(math.Exp(float64(float32(float32(scale*iou)*iou))))
			}
			if next.score <= scoreT {
				break
			}
		}
		next.suppressBegin = int32(cnt)
		if hard {
			continue
		}
		if next.score == orig {
			sel[cnt] = next.index
			if selScores != nil {
				selScores[cnt] = next.score
			}
			cnt++
		}
		if next.score > scoreT {
			h = nmsPush(append(h, next))
		}
	}
	return cnt
}

// nmsLess is the priority_queue comparison: a ranks below b.
func nmsLess(a, b nmsCand) bool { return a.score < b.score }

// nmsPush is libstdc++'s push_heap on h, whose last element is new.
func nmsPush(h []nmsCand) []nmsCand {
	hole := len(h) - 1
	nmsSiftUp(h, hole, 0, h[hole])
	return h
}

func nmsSiftUp(h []nmsCand, hole, top int, v nmsCand) {
	parent := (hole - 1) / 2
	for hole > top && nmsLess(h[parent], v) {
		h[hole] = h[parent]
		hole = parent
		parent = (hole - 1) / 2
	}
	h[hole] = v
}

// nmsPop is libstdc++'s pop_heap followed by pop_back.
func nmsPop(h []nmsCand) []nmsCand {
	last := len(h) - 1
	if last > 0 {
		v := h[last]
		h[last] = h[0]
		// __adjust_heap over [0, last).
		length, hole := last, 0
		child := 0
		for child < (length-1)/2 {
			child = 2 * (child + 1)
			if nmsLess(h[child], h[child-1]) {
				child--
			}
			h[hole] = h[child]
			hole = child
		}
		if length&1 == 0 && child == (length-2)/2 {
			child = 2 * (child + 1)
			h[hole] = h[child-1]
			hole = child - 1
		}
		nmsSiftUp(h, hole, 0, v)
	}
	return h[:last]
}

// nmsIoU is TFLite's ComputeIntersectionOverUnion in float32, products
// rounded before they are added.
func nmsIoU(b []float32, i, j int) float32 {
	bi, bj := b[4*i:4*i+4], b[4*j:4*j+4]
	iy0, iy1 := min(bi[0], bi[2]), max(bi[0], bi[2])
	ix0, ix1 := min(bi[1], bi[3]), max(bi[1], bi[3])
	jy0, jy1 := min(bj[0], bj[2]), max(bj[0], bj[2])
	jx0, jx1 := min(bj[1], bj[3]), max(bj[1], bj[3])
	ai := float32((iy1 - iy0) * (ix1 - ix0))
	aj := float32((jy1 - jy0) * (jx1 - jx0))
	if ai <= 0 || aj <= 0 {
		return 0
	}
	inter := float32(max(min(iy1, jy1)-max(iy0, jy0), 0) * max(min(ix1, jx1)-max(ix0, jx0), 0))
	return inter / (ai + aj - inter)
}
