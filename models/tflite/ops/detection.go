package ops

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflite/flexbuf"
)

// TFLite_Detection_PostProcess: the SSD post-processing custom operator.
//
// Inputs are box encodings [1, N, >=4] (center-size: y, x, h, w), class
// scores [1, N, C] and anchors [N, 4] (center-size: y, x, h, w); C is
// num_classes, plus one when the first column is a background class. The
// outputs are always float32: boxes [1, D, 4] (ymin, xmin, ymax, xmax),
// classes [1, D], scores [1, D] and the detection count [1], where
// D = max_detections * max_classes_per_detection.
//
// The arithmetic follows TensorFlow Lite's reference kernel: boxes are
// decoded in double precision and stored as float32, uint8 inputs are
// dequantized the way its kernel does, and candidates are ordered as its
// sorts order them (a stable descending sort for NMS, libstdc++'s
// partial_sort for the per-box class ranking of fast NMS, a stable merge for
// regular NMS). Output slots without a detection are zero.

// detDefaultPerClass is detections_per_class when the option is absent.
const detDefaultPerClass = 100

type detOptions struct {
	maxDetections    int
	maxClassesPerDet int
	perClass         int
	regularNMS       bool
	scoreThreshold   float32
	iouThreshold     float32
	numClasses       int
	scaleY, scaleX   float32
	scaleH, scaleW   float32
}

type detState struct {
	opt detOptions

	numBoxes   int // N
	boxStride  int // box encodings per anchor (>= 4)
	numCols    int // C: classes including the background column
	labelOff   int // 0 or 1: the background column
	numPerBox  int // classes reported per detection in fast NMS
	numOutputs int // D

	decoded []float32 // N x (ymin, xmin, ymax, xmax)
	scores  []float32 // N x C dequantized scores (quantized input only)

	// Single-class NMS scratch, N each.
	candScore []float32
	candIndex []int32
	order     []int32
	orderTmp  []int32
	active    []bool
	selected  []int32

	// Fast NMS.
	maxScores  []float32 // N
	classOrder []int32   // numClasses, the partial sort's working array
	topClasses []int32   // N x numPerBox

	// Regular NMS.
	classScores []float32 // N
	merged      []detBox  // maxDetections + per-class detections
	mergeTmp    []detBox
}

// detBox is a regular-NMS result: index is anchor*C + column.
type detBox struct {
	index int32
	score float32
}

func addDetection(r *Resolver) {
	r.Custom["TFLite_Detection_PostProcess"] = &Kernel{MaxVersion: 1, Prepare: detPrepare, Eval: detEval}
}

// parseDetOptions reads the FlexBuffers map of custom_options.
func parseDetOptions(n *Node) (detOptions, error) {
	var o detOptions
	if len(n.CustomOptions) == 0 {
		return o, n.Errorf("custom_options are missing")
	}
	root, err := flexbuf.Root(n.CustomOptions)
	if err != nil {
		return o, n.Errorf("custom_options: %v", err)
	}
	m, err := root.Map()
	if err != nil {
		return o, n.Errorf("custom_options: %v", err)
	}
	getInt := func(key string, required bool, def int) (int, error) {
		v, ok, err := m.Get(key)
		if err != nil {
			return 0, n.Errorf("option %s: %v", key, err)
		}
		if !ok || v.IsNull() {
			if required {
				return 0, n.Errorf("option %s is missing", key)
			}
			return def, nil
		}
		i, err := v.Int()
		if err != nil {
			return 0, n.Errorf("option %s: %v", key, err)
		}
		if i < math.MinInt32 || i > math.MaxInt32 {
			return 0, n.Errorf("option %s = %d does not fit int32", key, i)
		}
		return int(i), nil
	}
	getFloat := func(key string) (float32, error) {
		v, ok, err := m.Get(key)
		if err != nil {
			return 0, n.Errorf("option %s: %v", key, err)
		}
		if !ok || v.IsNull() {
			return 0, n.Errorf("option %s is missing", key)
		}
		f, err := v.Float()
		if err != nil {
			return 0, n.Errorf("option %s: %v", key, err)
		}
		f32 := float32(f)
		if math.IsNaN(f) || math.IsInf(float64(f32), 0) {
			return 0, n.Errorf("option %s = %g is not a finite float32", key, f)
		}
		return f32, nil
	}

	if o.maxDetections, err = getInt("max_detections", true, 0); err != nil {
		return o, err
	}
	if o.maxClassesPerDet, err = getInt("max_classes_per_detection", true, 0); err != nil {
		return o, err
	}
	if o.perClass, err = getInt("detections_per_class", false, detDefaultPerClass); err != nil {
		return o, err
	}
	if o.numClasses, err = getInt("num_classes", true, 0); err != nil {
		return o, err
	}
	if v, ok, err := m.Get("use_regular_nms"); err != nil {
		return o, n.Errorf("option use_regular_nms: %v", err)
	} else if ok && !v.IsNull() {
		if o.regularNMS, err = v.Bool(); err != nil {
			return o, n.Errorf("option use_regular_nms: %v", err)
		}
	}
	for _, f := range []struct {
		key string
		dst *float32
	}{
		{"nms_score_threshold", &o.scoreThreshold}, {"nms_iou_threshold", &o.iouThreshold},
		{"y_scale", &o.scaleY}, {"x_scale", &o.scaleX}, {"h_scale", &o.scaleH}, {"w_scale", &o.scaleW},
	} {
		if *f.dst, err = getFloat(f.key); err != nil {
			return o, err
		}
	}

	switch {
	case o.maxDetections < 0:
		return o, n.Errorf("max_detections = %d must not be negative", o.maxDetections)
	case o.maxClassesPerDet <= 0:
		return o, n.Errorf("max_classes_per_detection = %d must be positive", o.maxClassesPerDet)
	case o.numClasses <= 0:
		return o, n.Errorf("num_classes = %d must be positive", o.numClasses)
	case !(o.iouThreshold > 0 && o.iouThreshold <= 1):
		return o, n.Errorf("nms_iou_threshold = %g must be in (0, 1]", o.iouThreshold)
	case o.scaleY == 0 || o.scaleX == 0 || o.scaleH == 0 || o.scaleW == 0:
		return o, n.Errorf("box scales (%g, %g, %g, %g) must not be zero", o.scaleY, o.scaleX, o.scaleH, o.scaleW)
	}
	if o.regularNMS && min(o.perClass, o.maxDetections) <= 0 {
		return o, n.Errorf("regular NMS needs positive detections_per_class and max_detections, got %d and %d",
			o.perClass, o.maxDetections)
	}
	return o, nil
}

// detCheckQuant validates a quantized input's per-tensor parameters.
func detCheckQuant(n *Node, what string, t *Tensor) error {
	if t.Type == models.Float32 {
		return nil
	}
	q := t.Quant
	if q == nil || len(q.Scale) != 1 || (len(q.ZeroPoint) != 0 && len(q.ZeroPoint) != 1) {
		return n.Errorf("%s tensor %q (%s) needs per-tensor quantization parameters", what, t.Name, t.Type)
	}
	s := float64(q.Scale[0])
	if !(s > 0) || math.IsInf(s, 0) {
		return n.Errorf("%s tensor %q has invalid scale %g", what, t.Name, s)
	}
	lo, hi := int32(0), int32(255)
	if t.Type == models.Int8 {
		lo, hi = -128, 127
	}
	if len(q.ZeroPoint) == 1 && (q.ZeroPoint[0] < int64(lo) || q.ZeroPoint[0] > int64(hi)) {
		return n.Errorf("%s tensor %q has zero point %d outside the %s range", what, t.Name, q.ZeroPoint[0], t.Type)
	}
	return nil
}

func detPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 3 || len(n.Outputs) != 4 {
		return n.Errorf("takes 3 inputs and 4 outputs, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	opt, err := parseDetOptions(n)
	if err != nil {
		return err
	}
	boxes, scores, anchors := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2)
	if boxes == nil || scores == nil || anchors == nil {
		return n.Errorf("box encodings, class predictions and anchors are required")
	}
	var outs [4]*Tensor
	for i := range outs {
		if outs[i] = c.Output(n, i); outs[i] == nil {
			return n.Errorf("output %d is required", i)
		}
		if outs[i].Type != models.Float32 {
			return n.Errorf("output %d type %s must be float32", i, outs[i].Type)
		}
	}

	for _, in := range []struct {
		what string
		t    *Tensor
	}{{"box encodings", boxes}, {"class predictions", scores}, {"anchors", anchors}} {
		switch in.t.Type {
		case models.Float32, models.UInt8, models.Int8:
		default:
			return n.Errorf("%s type %s is not supported (float32, uint8 or int8)", in.what, in.t.Type)
		}
		if err := detCheckQuant(n, in.what, in.t); err != nil {
			return err
		}
	}
	if boxes.Type == models.Float32 && anchors.Type != models.Float32 {
		return n.Errorf("anchors must be float32 with float32 box encodings, got %s", anchors.Type)
	}
	if boxes.Dims() != 3 || scores.Dims() != 3 || anchors.Dims() != 2 {
		return n.Errorf("box encodings %v and class predictions %v must have rank 3, anchors %v rank 2",
			boxes.Shape, scores.Shape, anchors.Shape)
	}
	numBoxes := boxes.Shape[1]
	switch {
	case boxes.Shape[0] != 1 || scores.Shape[0] != 1:
		return n.Errorf("batch size must be 1, got box encodings %v and class predictions %v", boxes.Shape, scores.Shape)
	case numBoxes < 0 || boxes.Shape[2] < 4:
		return n.Errorf("box encodings %v need at least 4 values per box", boxes.Shape)
	case scores.Shape[1] != numBoxes:
		return n.Errorf("class predictions %v do not match %d boxes", scores.Shape, numBoxes)
	case anchors.Shape[0] != numBoxes || anchors.Shape[1] != 4:
		return n.Errorf("anchors %v must be [%d, 4]", anchors.Shape, numBoxes)
	}
	cols := scores.Shape[2]
	if cols < opt.numClasses || cols > opt.numClasses+1 {
		return n.Errorf("class predictions have %d columns; num_classes = %d allows %d or %d",
			cols, opt.numClasses, opt.numClasses, opt.numClasses+1)
	}
	if _, ok := mulChecked(numBoxes, boxes.Shape[2], 4); !ok {
		return n.Errorf("box encodings %v are too large", boxes.Shape)
	}
	if _, ok := mulChecked(numBoxes, cols, 4); !ok || numBoxes*cols > math.MaxInt32 {
		return n.Errorf("class predictions %v are too large", scores.Shape)
	}
	numOut, ok := mulChecked(opt.maxDetections, opt.maxClassesPerDet, 4)
	if !ok || numOut/4 > math.MaxInt32 {
		return n.Errorf("max_detections %d x max_classes_per_detection %d is too large",
			opt.maxDetections, opt.maxClassesPerDet)
	}
	numOut /= 4

	for i, shape := range [][]int{{1, numOut, 4}, {1, numOut}, {1, numOut}, {1}} {
		if err := c.Resize(outs[i], shape); err != nil {
			return n.Errorf("output %d: %v", i, err)
		}
	}

	st := &detState{
		opt:        opt,
		numBoxes:   numBoxes,
		boxStride:  boxes.Shape[2],
		numCols:    cols,
		labelOff:   cols - opt.numClasses,
		numPerBox:  min(opt.maxClassesPerDet, opt.numClasses),
		numOutputs: numOut,
	}
	if err := st.alloc(c, scores.Type != models.Float32); err != nil {
		return n.Errorf("%v", err)
	}
	n.State = st
	return nil
}

func (st *detState) alloc(c Context, quantScores bool) error {
	nb := st.numBoxes
	var err error
	f32 := func(dst *[]float32, count int) {
		if err == nil {
			*dst, err = allocSlice[float32](c, count)
		}
	}
	i32 := func(dst *[]int32, count int) {
		if err == nil {
			*dst, err = allocSlice[int32](c, count)
		}
	}
	f32(&st.decoded, nb*4)
	if quantScores {
		f32(&st.scores, nb*st.numCols)
	}
	f32(&st.candScore, nb)
	i32(&st.candIndex, nb)
	i32(&st.order, nb)
	i32(&st.orderTmp, nb)
	i32(&st.selected, nb)
	if err == nil {
		var b []uint8
		b, err = allocSlice[uint8](c, nb)
		st.active = view[bool](b)
	}
	if st.opt.regularNMS {
		f32(&st.classScores, nb)
		if err == nil {
			total := st.opt.maxDetections + min(st.opt.perClass, st.opt.maxDetections)
			size := int(unsafe.Sizeof(detBox{}))
			var b []byte
			if bytes, ok := mulChecked(total, 2, size); !ok {
				err = fmt.Errorf("regular NMS buffers for %d detections are too large", total)
			} else if b, err = c.Alloc(bytes); err == nil {
				st.merged = view[detBox](b[:total*size])
				st.mergeTmp = view[detBox](b[total*size:])
			}
		}
	} else {
		f32(&st.maxScores, nb)
		if st.numPerBox > 1 {
			i32(&st.classOrder, st.opt.numClasses)
		}
		i32(&st.topClasses, nb*st.numPerBox)
	}
	return err
}

func detEval(c Context, n *Node) error {
	st, ok := n.State.(*detState)
	if !ok {
		return n.Errorf("not prepared")
	}
	boxes, scores, anchors := c.Input(n, 0), c.Input(n, 1), c.Input(n, 2)
	outBoxes, outClasses, outScores, outCount := c.Output(n, 0), c.Output(n, 1), c.Output(n, 2), c.Output(n, 3)
	nb := st.numBoxes
	for _, chk := range []struct {
		what  string
		t     *Tensor
		elems int
	}{
		{"box encodings", boxes, nb * st.boxStride}, {"class predictions", scores, nb * st.numCols},
		{"anchors", anchors, nb * 4}, {"detection boxes", outBoxes, st.numOutputs * 4},
		{"detection classes", outClasses, st.numOutputs}, {"detection scores", outScores, st.numOutputs},
		{"detection count", outCount, 1},
	} {
		if err := checkData(n, chk.what, chk.t, chk.elems); err != nil {
			return err
		}
	}

	st.decode(boxes, anchors)
	if !st.boxesValid() {
		return n.Errorf("decoded boxes have a minimum above their maximum (negative anchor size?)")
	}
	var sc []float32
	if scores.Type == models.Float32 {
		sc = scores.F32()[:nb*st.numCols]
	} else {
		sc = st.scores
		detDequantize(scores, sc)
	}

	ob, oc, os := outBoxes.F32()[:st.numOutputs*4], outClasses.F32()[:st.numOutputs], outScores.F32()[:st.numOutputs]
	clear(ob)
	clear(oc)
	clear(os)
	var count int
	if st.opt.regularNMS {
		count = st.regular(sc, ob, oc, os)
	} else {
		count = st.fast(sc, ob, oc, os)
	}
	outCount.F32()[0] = float32(count)
	return nil
}

// detDequantize converts quantized scores as TFLite's Dequantize does:
// float(double(scale) * (q - zero_point)).
func detDequantize(t *Tensor, dst []float32) {
	scale := float64(float32(t.Scale()))
	zp := t.ZeroPoint()
	if t.Type == models.UInt8 {
		for i, q := range t.U8()[:len(dst)] {
			dst[i] = float32(scale * float64(int32(q)-zp))
		}
		return
	}
	for i, q := range t.I8()[:len(dst)] {
		dst[i] = float32(scale * float64(int32(q)-zp))
	}
}

// detLoad4 reads four center-size values at element offset off, dequantized
// in float32 as TFLite's box decoder does: (float(q) - zero_point) * scale.
func detLoad4(t *Tensor, off int) (y, x, h, w float32) {
	switch t.Type {
	case models.Float32:
		v := t.F32()[off : off+4]
		return v[0], v[1], v[2], v[3]
	case models.UInt8:
		v := t.U8()[off : off+4]
		zp, s := float32(t.ZeroPoint()), float32(t.Scale())
		return float32(float32(v[0])-zp) * s, float32(float32(v[1])-zp) * s,
			float32(float32(v[2])-zp) * s, float32(float32(v[3])-zp) * s
	default:
		v := t.I8()[off : off+4]
		zp, s := float32(t.ZeroPoint()), float32(t.Scale())
		return float32(float32(v[0])-zp) * s, float32(float32(v[1])-zp) * s,
			float32(float32(v[2])-zp) * s, float32(float32(v[3])-zp) * s
	}
}

// decode turns center-size encodings relative to the anchors into corner
// boxes, in double precision like TFLite. Explicit conversions keep the
// compiler from fusing multiply-adds.
func (st *detState) decode(boxes, anchors *Tensor) {
	o := &st.opt
	sy, sx, sh, sw := float64(o.scaleY), float64(o.scaleX), float64(o.scaleH), float64(o.scaleW)
	for i := 0; i < st.numBoxes; i++ {
		y, x, h, w := detLoad4(boxes, i*st.boxStride)
		ay, ax, ah, aw := detLoad4(anchors, i*4)
		yc := float32(float64(float64(y)/sy*float64(ah)) + float64(ay))
		xc := float32(float64(float64(x)/sx*float64(aw)) + float64(ax))
		hh := float32(0.5 * math.Exp(float64(h)/sh) * float64(ah))
		hw := float32(0.5 * math.Exp(float64(w)/sw) * float64(aw))
		d := st.decoded[i*4 : i*4+4]
		d[0], d[1], d[2], d[3] = yc-hh, xc-hw, yc+hh, xc+hw
	}
}

// boxesValid rejects boxes whose minimum exceeds their maximum, as TFLite
// does before NMS (NaN coordinates pass, as there).
func (st *detState) boxesValid() bool {
	d := st.decoded
	for i := 0; i < st.numBoxes; i++ {
		if d[i*4] > d[i*4+2] || d[i*4+1] > d[i*4+3] {
			return false
		}
	}
	return true
}

// detMax and detMin are std::max and std::min on floats, NaN handling included.
func detMax(a, b float32) float32 {
	if a < b {
		return b
	}
	return a
}

func detMin(a, b float32) float32 {
	if b < a {
		return b
	}
	return a
}

// iou is the intersection over union of decoded boxes i and j, 0 when
// either has no area.
func (st *detState) iou(i, j int) float32 {
	a, b := st.decoded[i*4:i*4+4], st.decoded[j*4:j*4+4]
	areaA := float32((a[2] - a[0]) * (a[3] - a[1]))
	areaB := float32((b[2] - b[0]) * (b[3] - b[1]))
	if areaA <= 0 || areaB <= 0 {
		return 0
	}
	ymin, xmin := detMax(a[0], b[0]), detMax(a[1], b[1])
	ymax, xmax := detMin(a[2], b[2]), detMin(a[3], b[3])
	inter := float32(detMax(ymax-ymin, 0) * detMax(xmax-xmin, 0))
	return inter / (areaA + areaB - inter)
}

// nms runs single-class non-maximum suppression over scores (one per box):
// boxes scoring at least the threshold, best first (ties by box index),
// each dropping the later boxes that overlap it by more than the IoU
// threshold. It returns up to limit box indices in st.selected.
func (st *detState) nms(scores []float32, limit int) []int32 {
	kept := 0
	for i, s := range scores {
		if s >= st.opt.scoreThreshold {
			st.candScore[kept], st.candIndex[kept] = s, int32(i)
			kept++
		}
	}
	order := st.order[:kept]
	for i := range order {
		order[i] = int32(i)
	}
	detStableSort(order, st.orderTmp[:kept], st.candScore)
	active := st.active[:kept]
	for i := range active {
		active[i] = true
	}
	outSize := min(kept, limit)
	sel := st.selected[:0]
	numActive := kept
	for i := 0; i < kept; i++ {
		if numActive == 0 || len(sel) >= outSize {
			break
		}
		if !active[i] {
			continue
		}
		bi := int(st.candIndex[order[i]])
		sel = append(sel, int32(bi))
		active[i] = false
		numActive--
		for j := i + 1; j < kept; j++ {
			if active[j] && st.iou(bi, int(st.candIndex[order[j]])) > st.opt.iouThreshold {
				active[j] = false
				numActive--
			}
		}
	}
	return sel
}

// detStableSort sorts positions by decreasing key, keeping the order of
// equal keys (a bottom-up merge sort; tmp has len(idx) elements).
func detStableSort(idx, tmp []int32, key []float32) {
	n := len(idx)
	src, dst := idx, tmp
	for width := 1; width < n; width *= 2 {
		for lo := 0; lo < n; lo += 2 * width {
			mid, hi := min(lo+width, n), min(lo+2*width, n)
			i, j, k := lo, mid, lo
			for i < mid && j < hi {
				if key[src[j]] > key[src[i]] {
					dst[k] = src[j]
					j++
				} else {
					dst[k] = src[i]
					i++
				}
				k++
			}
			k += copy(dst[k:], src[i:mid])
			copy(dst[k:], src[j:hi])
		}
		src, dst = dst, src
	}
	if n > 0 && &src[0] != &idx[0] {
		copy(idx, src)
	}
}

// fast is TFLite's class-agnostic NMS: each box competes with its best
// class score and reports its numPerBox best classes.
func (st *detState) fast(scores, ob, oc, os []float32) int {
	k, nc := st.numPerBox, st.opt.numClasses
	for row := 0; row < st.numBoxes; row++ {
		bs := scores[row*st.numCols+st.labelOff : row*st.numCols+st.labelOff+nc]
		top := st.topClasses[row*k : row*k+k]
		if k == 1 {
			top[0] = int32(detArgMax(bs))
		} else {
			ord := st.classOrder
			for i := range ord {
				ord[i] = int32(i)
			}
			detPartialSort(ord, k, bs)
			copy(top, ord[:k])
		}
		st.maxScores[row] = bs[top[0]]
	}
	sel := st.nms(st.maxScores, st.opt.maxDetections)
	for out, b := range sel {
		base := int(b) * st.numCols
		for col := 0; col < k; col++ {
			slot := st.opt.maxClassesPerDet*out + col
			cls := st.topClasses[int(b)*k+col]
			copy(ob[slot*4:slot*4+4], st.decoded[int(b)*4:int(b)*4+4])
			oc[slot] = float32(cls)
			os[slot] = scores[base+st.labelOff+int(cls)]
		}
	}
	return len(sel)
}

// detArgMax is the first index of the largest value; NaN never wins unless
// every value is NaN (then 0).
func detArgMax(v []float32) int {
	best, at := v[0], 0
	for i := 1; i < len(v); i++ {
		x := v[i]
		if x == x && (best != best || x > best) {
			best, at = x, i
		}
	}
	if best != best {
		return 0
	}
	return at
}

// detPartialSort puts the k largest keys of idx first in decreasing order,
// exactly as libstdc++'s std::partial_sort does with the comparator
// key[a] > key[b] (heap selection, then heap sort), so that equal keys end
// up in the same order as in TFLite built with GCC.
func detPartialSort(idx []int32, k int, key []float32) {
	less := func(a, b int32) bool { return key[a] > key[b] }
	heap := idx[:k]
	if k >= 2 {
		for parent := (k - 2) / 2; ; parent-- {
			detAdjustHeap(heap, parent, k, heap[parent], less)
			if parent == 0 {
				break
			}
		}
	}
	for i := k; i < len(idx); i++ {
		if less(idx[i], heap[0]) {
			v := idx[i]
			idx[i] = heap[0]
			detAdjustHeap(heap, 0, k, v, less)
		}
	}
	for last := k - 1; last > 0; last-- {
		v := heap[last]
		heap[last] = heap[0]
		detAdjustHeap(heap, 0, last, v, less)
	}
}

// detAdjustHeap is libstdc++'s __adjust_heap: sift the hole at hole down to a
// leaf, then push v up from there.
func detAdjustHeap(h []int32, hole, n int, v int32, less func(a, b int32) bool) {
	top, child := hole, hole
	for child < (n-1)/2 {
		child = 2 * (child + 1)
		if less(h[child], h[child-1]) {
			child--
		}
		h[hole] = h[child]
		hole = child
	}
	if n&1 == 0 && child == (n-2)/2 {
		child = 2 * (child + 1)
		h[hole] = h[child-1]
		hole = child - 1
	}
	parent := (hole - 1) / 2
	for hole > top && less(h[parent], v) {
		h[hole] = h[parent]
		hole = parent
		parent = (hole - 1) / 2
	}
	h[hole] = v
}

// regular is TFLite's per-class NMS: every class keeps up to
// min(detections_per_class, max_detections) boxes and the best
// max_detections of all classes are reported, merged stably class by class.
func (st *detState) regular(scores, ob, oc, os []float32) int {
	perClass := min(st.opt.perClass, st.opt.maxDetections)
	maxDet := st.opt.maxDetections
	size := 0
	for col := 0; col < st.opt.numClasses; col++ {
		for row := 0; row < st.numBoxes; row++ {
			st.classScores[row] = scores[row*st.numCols+col+st.labelOff]
		}
		sel := st.nms(st.classScores, perClass)
		if len(sel) == 0 {
			continue
		}
		for i, b := range sel {
			st.merged[size+i] = detBox{
				index: b*int32(st.numCols) + int32(col+st.labelOff),
				score: st.classScores[b],
			}
		}
		st.mergeStable(size, size+len(sel))
		size = min(size+len(sel), maxDet)
	}
	for i := 0; i < size; i++ {
		m := st.merged[i]
		anchor := int(m.index) / st.numCols
		cls := int(m.index) - anchor*st.numCols - st.labelOff
		copy(ob[i*4:i*4+4], st.decoded[anchor*4:anchor*4+4])
		oc[i] = float32(cls)
		os[i] = m.score
	}
	return size
}

// mergeStable merges the score-descending runs merged[:mid] and
// merged[mid:end]; on equal scores the first run goes first, as
// std::inplace_merge.
func (st *detState) mergeStable(mid, end int) {
	left := st.mergeTmp[:copy(st.mergeTmp, st.merged[:mid])]
	right := st.merged[mid:end]
	i, j, k := 0, 0, 0
	for i < len(left) && j < len(right) {
		if right[j].score > left[i].score {
			st.merged[k] = right[j]
			j++
		} else {
			st.merged[k] = left[i]
			i++
		}
		k++
	}
	copy(st.merged[k:], left[i:])
	// Remaining right elements are already in place.
}
