package ops_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/flexbuf"
)

// Tests of TFLite_Detection_PostProcess: single-operator models built with
// models/build and run by the interpreter, on small hand-made cases whose
// results are worked out in the comments.

const detOp = "TFLite_Detection_PostProcess"

// detCase is one post-processing model. Boxes and anchors are center-size
// (y, x, h, w). Quantized tensors carry their integer values.
type detCase struct {
	opts         flexbuf.Entries
	boxes        []float64
	scores       []float64
	anchors      []float64
	numBoxes     int
	boxLen       int // values per box encoding, 4 when 0
	cols         int // score columns
	boxT, scoreT models.DType
	anchorT      models.DType
	boxQ, scoreQ *models.Quant
	anchorQ      *models.Quant
	constAnchors bool
	outT         models.DType // float32 when 0
	rawOptions   []byte       // used instead of opts when not nil
	noOptions    bool
}

// detOpts are the options of the usual test: scales 10, 10, 5, 5 and class
// agnostic NMS with IoU threshold 0.5.
func detOpts(maxDet, maxClasses, numClasses int, scoreThr float64) flexbuf.Entries {
	return flexbuf.Entries{
		"max_detections": maxDet, "max_classes_per_detection": maxClasses, "num_classes": numClasses,
		"nms_score_threshold": scoreThr, "nms_iou_threshold": 0.5,
		"y_scale": 10.0, "x_scale": 10.0, "h_scale": 5.0, "w_scale": 5.0,
	}
}

func (dc *detCase) dtypes() (models.DType, models.DType, models.DType) {
	bt, st, at := dc.boxT, dc.scoreT, dc.anchorT
	if bt == 0 {
		bt = models.Float32
	}
	if st == 0 {
		st = models.Float32
	}
	if at == 0 {
		at = models.Float32
	}
	return bt, st, at
}

func (dc *detCase) model() ([]byte, error) {
	bt, st, at := dc.dtypes()
	boxLen := dc.boxLen
	if boxLen == 0 {
		boxLen = 4
	}
	b := build.New()
	bi := b.Input("boxes", bt, []int{1, dc.numBoxes, boxLen}, dc.boxQ)
	si := b.Input("scores", st, []int{1, dc.numBoxes, dc.cols}, dc.scoreQ)
	var ai int
	if dc.constAnchors {
		ai = b.Const("anchors", at, []int{dc.numBoxes, 4}, bTyped(at, dc.anchors), dc.anchorQ)
	} else {
		ai = b.Input("anchors", at, []int{dc.numBoxes, 4}, dc.anchorQ)
	}
	ot := dc.outT
	if ot == 0 {
		ot = models.Float32
	}
	var outs []int
	for i, name := range []string{"det_boxes", "det_classes", "det_scores", "num_det"} {
		t := ot
		if i > 0 {
			t = models.Float32
		}
		outs = append(outs, b.Tensor(name, t, []int{}, nil))
	}
	opt := dc.rawOptions
	if opt == nil && !dc.noOptions {
		var err error
		if opt, err = flexbuf.Encode(dc.opts); err != nil {
			return nil, err
		}
	}
	b.CustomOp(detOp, 1, []int{bi, si, ai}, outs, opt)
	b.Output(outs...)
	return b.Bytes()
}

func (dc *detCase) load() (*tflite.Interpreter, error) {
	data, err := dc.model()
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	return tflite.Load(data, models.Options{})
}

func (dc *detCase) feed(it *tflite.Interpreter) {
	bt, st, at := dc.dtypes()
	copy(it.Input(0), bEncode(bt, dc.boxes))
	copy(it.Input(1), bEncode(st, dc.scores))
	if !dc.constAnchors {
		copy(it.Input(2), bEncode(at, dc.anchors))
	}
}

// detResult is the four outputs.
type detResult struct {
	boxes, classes, scores []float64
	count                  float64
	shapes                 [][]int
}

func detOutputs(it *tflite.Interpreter) detResult {
	var r detResult
	for i := 0; i < 4; i++ {
		r.shapes = append(r.shapes, it.Outputs()[i].Shape)
	}
	r.boxes = bDecode(models.Float32, it.Output(0))
	r.classes = bDecode(models.Float32, it.Output(1))
	r.scores = bDecode(models.Float32, it.Output(2))
	r.count = bDecode(models.Float32, it.Output(3))[0]
	return r
}

func (dc *detCase) run() (detResult, error) {
	it, err := dc.load()
	if err != nil {
		return detResult{}, err
	}
	defer it.Close()
	dc.feed(it)
	if err := it.Invoke(context.Background()); err != nil {
		return detResult{}, err
	}
	return detOutputs(it), nil
}

func (dc *detCase) mustRun(t *testing.T) detResult {
	t.Helper()
	r, err := dc.run()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (dc *detCase) wantError(t *testing.T, fragment string) {
	t.Helper()
	_, err := dc.run()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", fragment)
	}
	if !strings.Contains(err.Error(), fragment) || !strings.Contains(err.Error(), detOp) {
		t.Fatalf("error %q does not mention %q and the operator", err, fragment)
	}
}

// check compares the outputs with the expected detections (boxes as ymin,
// xmin, ymax, xmax) and checks that the remaining slots are zero.
func (r detResult) check(t *testing.T, boxes [][4]float64, classes, scores []float64, count int) {
	t.Helper()
	if float64(count) != r.count {
		t.Errorf("num_detections = %g, want %d", r.count, count)
	}
	for i := range r.classes {
		var wb [4]float64
		wc, ws := 0.0, 0.0
		if i < len(classes) {
			wb, wc, ws = boxes[i], classes[i], scores[i]
		}
		for k := 0; k < 4; k++ {
			if math.Abs(r.boxes[i*4+k]-wb[k]) > 1e-6 {
				t.Errorf("box %d = %v, want %v", i, r.boxes[i*4:i*4+4], wb)
				break
			}
		}
		if r.classes[i] != wc {
			t.Errorf("class %d = %g, want %g", i, r.classes[i], wc)
		}
		if math.Abs(r.scores[i]-ws) > 1e-6 {
			t.Errorf("score %d = %g, want %g", i, r.scores[i], ws)
		}
	}
}

// The shared scene: six unit boxes (zero encodings, so each box is its
// anchor). Boxes 1 and 2 overlap box 0 with IoU 0.9/1.1, box 4 overlaps
// box 3 likewise, box 5 is alone.
var (
	detAnchors = []float64{
		0.5, 0.5, 1, 1,
		0.6, 0.5, 1, 1,
		0.4, 0.5, 1, 1,
		10.5, 0.5, 1, 1,
		10.6, 0.5, 1, 1,
		100.5, 0.5, 1, 1,
	}
	detBoxes = [6][4]float64{
		{0, 0, 1, 1}, {0.1, 0, 1.1, 1}, {-0.1, 0, 0.9, 1},
		{10, 0, 11, 1}, {10.1, 0, 11.1, 1}, {100, 0, 101, 1},
	}
	// Background column first, then classes 0 and 1.
	detScores = []float64{
		0, 0.9, 0.8,
		0, 0.75, 0.72,
		0, 0.6, 0.5,
		0, 0.93, 0.95,
		0, 0.5, 0.4,
		0, 0.3, 0.2,
	}
)

func sceneCase(opts flexbuf.Entries) *detCase {
	return &detCase{opts: opts, boxes: make([]float64, 6*4), scores: detScores, anchors: detAnchors,
		numBoxes: 6, cols: 3}
}

func TestDetectionDecode(t *testing.T) {
	// Anchor center (0.5, 0.5), size 0.2 x 0.4; encoding y=1, x=-2 moves
	// the center by 1/10*0.2 and -2/10*0.4; h=5*ln2 doubles the height
	// (exp(h/5) = 2) and w=0 keeps the width.
	dc := &detCase{opts: detOpts(1, 1, 1, 0), numBoxes: 1, cols: 1,
		boxes: []float64{1, -2, 5 * math.Ln2, 0}, scores: []float64{0.7}, anchors: []float64{0.5, 0.5, 0.2, 0.4}}
	r := dc.mustRun(t)
	r.check(t, [][4]float64{{0.32, 0.22, 0.72, 0.62}}, []float64{0}, []float64{0.7}, 1)
	want := [][]int{{1, 1, 4}, {1, 1}, {1, 1}, {1}}
	if fmt.Sprint(r.shapes) != fmt.Sprint(want) {
		t.Errorf("output shapes %v, want %v", r.shapes, want)
	}

	// Box encodings may carry more than four values (keypoints); only the
	// first four count.
	dc.boxLen, dc.boxes = 6, []float64{1, -2, 5 * math.Ln2, 0, 99, 99}
	dc.mustRun(t).check(t, [][4]float64{{0.32, 0.22, 0.72, 0.62}}, []float64{0}, []float64{0.7}, 1)
}

func TestDetectionFastNMS(t *testing.T) {
	// Best class per box: 0.9 (c0), 0.75, 0.6, 0.95 (c1), 0.5, 0.3. Box 3
	// wins and suppresses box 4, box 0 suppresses boxes 1 and 2, box 5 is
	// third.
	r := sceneCase(detOpts(3, 1, 2, 0)).mustRun(t)
	r.check(t, [][4]float64{detBoxes[3], detBoxes[0], detBoxes[5]}, []float64{1, 0, 0}, []float64{0.95, 0.9, 0.3}, 3)

	// More room than survivors: the other slots stay zero.
	r = sceneCase(detOpts(5, 1, 2, 0)).mustRun(t)
	r.check(t, [][4]float64{detBoxes[3], detBoxes[0], detBoxes[5]}, []float64{1, 0, 0}, []float64{0.95, 0.9, 0.3}, 3)
	if fmt.Sprint(r.shapes) != "[[1 5 4] [1 5] [1 5] [1]]" {
		t.Errorf("shapes %v", r.shapes)
	}

	// IoU threshold 0.9 > 0.818: nothing overlaps enough.
	o := detOpts(6, 1, 2, 0)
	o["nms_iou_threshold"] = 0.9
	r = sceneCase(o).mustRun(t)
	r.check(t, [][4]float64{detBoxes[3], detBoxes[0], detBoxes[1], detBoxes[2], detBoxes[4], detBoxes[5]},
		[]float64{1, 0, 0, 0, 0, 0}, []float64{0.95, 0.9, 0.75, 0.6, 0.5, 0.3}, 6)
}

func TestDetectionScoreThreshold(t *testing.T) {
	// Scores at or above 0.6 compete: boxes 3, 0, 1, 2; box 0 suppresses
	// 1 and 2, and the score exactly at the threshold is kept but loses.
	r := sceneCase(detOpts(3, 1, 2, 0.6)).mustRun(t)
	r.check(t, [][4]float64{detBoxes[3], detBoxes[0]}, []float64{1, 0}, []float64{0.95, 0.9}, 2)

	// A score equal to the threshold is a detection.
	r = sceneCase(detOpts(3, 1, 2, 0.3)).mustRun(t)
	r.check(t, [][4]float64{detBoxes[3], detBoxes[0], detBoxes[5]}, []float64{1, 0, 0}, []float64{0.95, 0.9, 0.3}, 3)

	// Above every score: no detection at all.
	r = sceneCase(detOpts(3, 1, 2, 0.99)).mustRun(t)
	r.check(t, nil, nil, nil, 0)

	// With box 0 gone, box 1 leads its cluster and suppresses box 2
	// (IoU 0.8/1.2).
	dc := sceneCase(detOpts(3, 1, 2, 0.6))
	dc.scores = append([]float64{}, detScores...)
	dc.scores[1], dc.scores[2] = 0.1, 0.1
	dc.mustRun(t).check(t, [][4]float64{detBoxes[3], detBoxes[1]}, []float64{1, 0}, []float64{0.95, 0.75}, 2)
}

func TestDetectionMultipleClassesPerBox(t *testing.T) {
	// Two classes per detection, best first: box 3 reports c1 0.95 and c0
	// 0.93, box 0 reports c0 0.9 and c1 0.8.
	r := sceneCase(detOpts(2, 2, 2, 0)).mustRun(t)
	r.check(t, [][4]float64{detBoxes[3], detBoxes[3], detBoxes[0], detBoxes[0]},
		[]float64{1, 0, 0, 1}, []float64{0.95, 0.93, 0.9, 0.8}, 2)

	// Three classes per detection with only two classes: the third slot of
	// each detection stays zero.
	r = sceneCase(detOpts(2, 3, 2, 0)).mustRun(t)
	r.check(t, [][4]float64{detBoxes[3], detBoxes[3], {}, detBoxes[0], detBoxes[0], {}},
		[]float64{1, 0, 0, 0, 1, 0}, []float64{0.95, 0.93, 0, 0.9, 0.8, 0}, 2)
}

func TestDetectionClassTies(t *testing.T) {
	// Equal class scores are ranked as libstdc++'s std::partial_sort ranks
	// them (the order TFLite produces): for scores 0.2 0.7 0.7 0.1 0.7 0.2
	// and four classes, 4 1 2 0; for five equal scores, 3 4 1 0 2.
	one := func(scores []float64, k int) []float64 {
		dc := &detCase{opts: detOpts(1, k, len(scores), 0), numBoxes: 1, cols: len(scores),
			boxes: make([]float64, 4), scores: scores, anchors: []float64{0.5, 0.5, 1, 1}}
		return dc.mustRun(t).classes
	}
	if got := one([]float64{0.2, 0.7, 0.7, 0.1, 0.7, 0.2}, 4); fmt.Sprint(got) != "[4 1 2 0]" {
		t.Errorf("classes %v, want [4 1 2 0]", got)
	}
	if got := one([]float64{0.5, 0.5, 0.5, 0.5, 0.5}, 5); fmt.Sprint(got) != "[3 4 1 0 2]" {
		t.Errorf("classes %v, want [3 4 1 0 2]", got)
	}
	// One class per detection takes the first maximum.
	if got := one([]float64{0.2, 0.7, 0.7, 0.1}, 1); fmt.Sprint(got) != "[1]" {
		t.Errorf("classes %v, want [1]", got)
	}

	// Equal box scores keep box order: boxes 5, 3 and 0 all score 0.5.
	dc := sceneCase(detOpts(3, 1, 2, 0))
	dc.scores = make([]float64, 18)
	for _, b := range []int{5, 3, 0} {
		dc.scores[b*3+1] = 0.5
	}
	dc.mustRun(t).check(t, [][4]float64{detBoxes[0], detBoxes[3], detBoxes[5]}, []float64{0, 0, 0},
		[]float64{0.5, 0.5, 0.5}, 3)
}

func TestDetectionRegularNMS(t *testing.T) {
	// Per class (at most min(100, 3) each): class 0 keeps 3 (0.93), 0
	// (0.9), 5 (0.3); class 1 keeps 3 (0.95), 0 (0.8), 5 (0.2). The best
	// three overall: 3/c1, 3/c0, 0/c0 (the same box may appear twice).
	o := detOpts(3, 1, 2, 0)
	o["use_regular_nms"] = true
	r := sceneCase(o).mustRun(t)
	r.check(t, [][4]float64{detBoxes[3], detBoxes[3], detBoxes[0]}, []float64{1, 0, 0}, []float64{0.95, 0.93, 0.9}, 3)

	// detections_per_class 1: each class keeps only its box 3.
	o["detections_per_class"] = 1
	r = sceneCase(o).mustRun(t)
	r.check(t, [][4]float64{detBoxes[3], detBoxes[3]}, []float64{1, 0}, []float64{0.95, 0.93}, 2)

	// Equal scores across classes: the lower class comes first. Without a
	// background column (label offset 0).
	o = detOpts(4, 1, 2, 0.1)
	o["use_regular_nms"] = true
	dc := sceneCase(o)
	dc.cols = 2
	dc.scores = []float64{0.5, 0.5, 0, 0, 0, 0, 0.7, 0.7, 0, 0, 0, 0}
	dc.mustRun(t).check(t, [][4]float64{detBoxes[3], detBoxes[3], detBoxes[0], detBoxes[0]},
		[]float64{0, 1, 0, 1}, []float64{0.7, 0.7, 0.5, 0.5}, 4)

	// Fast NMS on the same scores reports each box once.
	o["use_regular_nms"] = false
	dc.opts = o
	dc.mustRun(t).check(t, [][4]float64{detBoxes[3], detBoxes[0]}, []float64{0, 0}, []float64{0.7, 0.5}, 2)
}

func TestDetectionQuantized(t *testing.T) {
	// The scene quantized: anchors with scale 0.5 (zero point 1) cannot
	// hold 0.6, so use a scene on a 0.5 grid; scores with scale 1/256.
	floatAnchors := []float64{0.5, 0.5, 1, 1, 1, 0.5, 1, 1, 10.5, 0.5, 1, 1, 11, 0.5, 1, 1}
	floatBoxes := []float64{0.5, 0, 0, 0.25, 0, 0, 0, 0, -1, 0.5, 0.25, 0, 0, 0, 0, 0}
	floatScores := []float64{0.5, 0.25, 0.75, 0.125, 0.375, 0.5, 0.25, 0}
	ref := &detCase{opts: detOpts(4, 1, 2, 0), numBoxes: 4, cols: 2,
		boxes: floatBoxes, scores: floatScores, anchors: floatAnchors}
	want := ref.mustRun(t)
	if want.count == 0 {
		t.Fatal("reference found nothing")
	}
	for _, dt := range []models.DType{models.UInt8, models.Int8} {
		t.Run(dt.String(), func(t *testing.T) {
			bzp, szp, azp := int64(100), int64(3), int64(1)
			if dt == models.Int8 {
				bzp, szp, azp = -20, -128, -7
			}
			q := func(v []float64, scale float64, zp int64) []float64 {
				out := make([]float64, len(v))
				for i, x := range v {
					out[i] = math.Round(x/scale) + float64(zp)
				}
				return out
			}
			dc := &detCase{opts: ref.opts, numBoxes: 4, cols: 2,
				boxT: dt, scoreT: dt, anchorT: dt,
				boxQ: bQ(0.25, bzp), scoreQ: bQ(1.0/256, szp), anchorQ: bQ(0.5, azp), constAnchors: true,
				boxes: q(floatBoxes, 0.25, bzp), scores: q(floatScores, 1.0/256, szp), anchors: q(floatAnchors, 0.5, azp)}
			got := dc.mustRun(t)
			var boxes [][4]float64
			for i := 0; i < int(want.count); i++ {
				boxes = append(boxes, [4]float64(want.boxes[i*4:i*4+4]))
			}
			got.check(t, boxes, want.classes[:int(want.count)], want.scores[:int(want.count)], int(want.count))
		})
	}
}

func TestDetectionReinvoke(t *testing.T) {
	// A second run with fewer detections clears the slots of the first.
	dc := sceneCase(detOpts(3, 1, 2, 0.6))
	it, err := dc.load()
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	dc.feed(it)
	ctx := context.Background()
	if err := it.Invoke(ctx); err != nil {
		t.Fatal(err)
	}
	detOutputs(it).check(t, [][4]float64{detBoxes[3], detBoxes[0]}, []float64{1, 0}, []float64{0.95, 0.9}, 2)
	copy(it.Input(1), bEncode(models.Float32, make([]float64, 18)))
	if err := it.Invoke(ctx); err != nil {
		t.Fatal(err)
	}
	detOutputs(it).check(t, nil, nil, nil, 0)
}

func TestDetectionNoAllocs(t *testing.T) {
	for _, regular := range []bool{false, true} {
		o := detOpts(3, 2, 2, 0)
		o["use_regular_nms"] = regular
		dc := sceneCase(o)
		it, err := dc.load()
		if err != nil {
			t.Fatal(err)
		}
		dc.feed(it)
		ctx := context.Background()
		if a := testing.AllocsPerRun(20, func() { _ = it.Invoke(ctx) }); a != 0 {
			t.Errorf("regular=%v: Invoke allocates %g times", regular, a)
		}
		it.Close()
	}
}

func TestDetectionInvalidBoxes(t *testing.T) {
	// A negative anchor height flips the box: TFLite refuses to run NMS.
	dc := sceneCase(detOpts(3, 1, 2, 0))
	dc.anchors = append([]float64{}, detAnchors...)
	dc.anchors[2] = -1
	dc.wantError(t, "minimum above")
}

func TestDetectionRejectsOptions(t *testing.T) {
	base := func() flexbuf.Entries { return detOpts(3, 1, 2, 0) }
	with := func(key string, v any) flexbuf.Entries {
		o := base()
		if v == nil {
			delete(o, key)
		} else {
			o[key] = v
		}
		return o
	}
	for _, c := range []struct {
		name string
		opts flexbuf.Entries
		frag string
	}{
		{"missing max_detections", with("max_detections", nil), "max_detections is missing"},
		{"missing num_classes", with("num_classes", nil), "num_classes is missing"},
		{"missing y_scale", with("y_scale", nil), "y_scale is missing"},
		{"missing iou", with("nms_iou_threshold", nil), "nms_iou_threshold is missing"},
		{"string max_detections", with("max_detections", "ten"), "max_detections"},
		{"negative max_detections", with("max_detections", -1), "max_detections"},
		{"huge max_detections", with("max_detections", int64(1)<<40), "does not fit int32"},
		{"zero classes per detection", with("max_classes_per_detection", 0), "max_classes_per_detection"},
		{"zero classes", with("num_classes", 0), "num_classes"},
		{"zero iou", with("nms_iou_threshold", 0.0), "nms_iou_threshold"},
		{"iou above one", with("nms_iou_threshold", 1.5), "nms_iou_threshold"},
		{"nan threshold", with("nms_score_threshold", math.NaN()), "nms_score_threshold"},
		{"zero scale", with("h_scale", 0.0), "scales"},
		{"infinite scale", with("w_scale", math.Inf(1)), "w_scale"},
		{"regular without detections per class", func() flexbuf.Entries {
			o := with("use_regular_nms", true)
			o["detections_per_class"] = 0
			return o
		}(), "detections_per_class"},
		{"bad use_regular_nms", with("use_regular_nms", "yes"), "use_regular_nms"},
	} {
		t.Run(c.name, func(t *testing.T) { sceneCase(c.opts).wantError(t, c.frag) })
	}
	t.Run("not a map", func(t *testing.T) {
		raw, err := flexbuf.Encode([]any{1, 2})
		if err != nil {
			t.Fatal(err)
		}
		dc := sceneCase(nil)
		dc.rawOptions = raw
		dc.wantError(t, "custom_options")
	})
	t.Run("garbage", func(t *testing.T) {
		dc := sceneCase(nil)
		dc.rawOptions = []byte{0xff, 0x13, 0x07}
		dc.wantError(t, "custom_options")
	})
	t.Run("absent", func(t *testing.T) {
		dc := sceneCase(nil)
		dc.noOptions = true
		dc.wantError(t, "custom_options")
	})
	t.Run("defaults", func(t *testing.T) {
		// detections_per_class and use_regular_nms may be absent.
		o := base()
		if _, err := sceneCase(o).run(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDetectionRejectsTensors(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(dc *detCase)
		frag string
	}{
		{"too many columns", func(dc *detCase) { dc.opts["num_classes"] = 1 }, "columns"},
		{"too few columns", func(dc *detCase) { dc.opts["num_classes"] = 4 }, "columns"},
		{"short encodings", func(dc *detCase) { dc.boxLen = 3 }, "at least 4"},
		{"int16 scores", func(dc *detCase) { dc.scoreT = models.Int16; dc.scoreQ = bQ(0.1, 0) }, "not supported"},
		{"int32 boxes", func(dc *detCase) { dc.boxT = models.Int32 }, "not supported"},
		{"uint8 scores without quantization", func(dc *detCase) { dc.scoreT = models.UInt8 }, "quantization"},
		{"uint8 scores with bad zero point", func(dc *detCase) { dc.scoreT = models.UInt8; dc.scoreQ = bQ(0.1, 300) }, "zero point"},
		{"uint8 anchors with float boxes", func(dc *detCase) { dc.anchorT = models.UInt8; dc.anchorQ = bQ(1, 0) }, "anchors must be float32"},
		{"int32 boxes output", func(dc *detCase) { dc.outT = models.Int32 }, "float32"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dc := sceneCase(detOpts(3, 1, 2, 0))
			c.edit(dc)
			dc.scores = make([]float64, dc.numBoxes*dc.cols)
			dc.wantError(t, c.frag)
		})
	}

	// Shape mismatches between the inputs, built by hand.
	shapes := []struct {
		name                 string
		boxes, scores, anchs []int
		frag                 string
	}{
		{"batch 2", []int{2, 6, 4}, []int{2, 6, 3}, []int{6, 4}, "batch size"},
		{"score rows", []int{1, 6, 4}, []int{1, 5, 3}, []int{6, 4}, "do not match"},
		{"anchor rows", []int{1, 6, 4}, []int{1, 6, 3}, []int{5, 4}, "anchors"},
		{"anchor width", []int{1, 6, 4}, []int{1, 6, 3}, []int{6, 5}, "anchors"},
		{"rank", []int{6, 4}, []int{1, 6, 3}, []int{6, 4}, "rank"},
	}
	for _, s := range shapes {
		t.Run(s.name, func(t *testing.T) {
			b := build.New()
			in := []int{
				b.Input("boxes", models.Float32, s.boxes, nil),
				b.Input("scores", models.Float32, s.scores, nil),
				b.Input("anchors", models.Float32, s.anchs, nil),
			}
			var outs []int
			for i := 0; i < 4; i++ {
				outs = append(outs, b.Tensor(fmt.Sprint("o", i), models.Float32, []int{}, nil))
			}
			opt, err := flexbuf.Encode(detOpts(3, 1, 2, 0))
			if err != nil {
				t.Fatal(err)
			}
			b.CustomOp(detOp, 1, in, outs, opt)
			b.Output(outs...)
			data, err := b.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			it, err := tflite.Load(data, models.Options{})
			if err == nil {
				err = it.Invoke(context.Background())
				it.Close()
			}
			if err == nil || !strings.Contains(err.Error(), s.frag) {
				t.Fatalf("error %v, want one mentioning %q", err, s.frag)
			}
		})
	}

	// Wrong operand counts.
	b := build.New()
	x := b.Input("x", models.Float32, []int{1, 1, 4}, nil)
	o := b.Tensor("o", models.Float32, []int{}, nil)
	opt, _ := flexbuf.Encode(detOpts(1, 1, 1, 0))
	b.CustomOp(detOp, 1, []int{x, x}, []int{o}, opt)
	b.Output(o)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tflite.Load(data, models.Options{}); err == nil || !strings.Contains(err.Error(), "takes 3 inputs") {
		t.Fatalf("error %v, want the operand count", err)
	}
}
