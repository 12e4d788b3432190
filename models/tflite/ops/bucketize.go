package ops

import (
	"math"
	"slices"

	"github.com/axle-edge/axle/models"
)

// BUCKETIZE: for each input value, the number of boundaries (a sorted
// float32 list in the options) that are <= the value, i.e. the index of the
// first boundary greater than it. Values are compared with the float
// boundaries as C++ does: int32 and int64 converted to float32, float64
// against the boundary widened.

func addBucketize(r *Resolver) {
	r.Builtin[OpBucketize] = &Kernel{MaxVersion: 1, Prepare: bucketizePrepare, Eval: bucketizeEval}
}

// readBucketizeOptions returns the boundaries, decoded (and charged to the
// memory limit) when the model was loaded.
func readBucketizeOptions(_ Context, n *Node) ([]float32, error) {
	return n.Opts.(*BucketizeOptions).Boundaries, nil
}

func bucketizePrepare(c Context, n *Node) error {
	if len(n.Inputs) != 1 || len(n.Outputs) != 1 {
		return n.Errorf("takes 1 input and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if in == nil || out == nil {
		return n.Errorf("input and output tensors are required")
	}
	switch in.Type {
	case models.Int32, models.Float32, models.Int64, models.Float64:
	default:
		return n.Errorf("input tensor %q type %s is not supported", in.Name, in.Type)
	}
	b, err := readBucketizeOptions(c, n)
	if err != nil {
		return err
	}
	for i := 1; i < len(b); i++ {
		if b[i] < b[i-1] {
			return n.Errorf("boundaries must be sorted: boundary %d (%g) is less than boundary %d (%g)", i, b[i], i-1, b[i-1])
		}
	}
	n.State = b
	out.Type = models.Int32 // as TFLite's Prepare does
	if err := c.Resize(out, in.Shape); err != nil {
		return n.Errorf("%v", err)
	}
	return nil
}

func bucketizeEval(c Context, n *Node) error {
	b, ok := n.State.([]float32)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if err := ewHaveData(n, in, out); err != nil {
		return err
	}
	k := in.NumElements()
	o := out.I32()[:k]
	switch in.Type {
	case models.Float32:
		bucketizeRun(b, in.F32()[:k], o, func(v float32) float64 { return float64(v) })
	case models.Int32:
		bucketizeRun(b, in.I32()[:k], o, func(v int32) float64 { return float64(float32(v)) })
	case models.Int64:
		bucketizeRun(b, in.I64()[:k], o, func(v int64) float64 { return float64(float32(v)) })
	case models.Float64:
		bucketizeRun(b, in.F64()[:k], o, func(v float64) float64 { return v })
	}
	return nil
}

// bucketizeRun is std::upper_bound per value: NaN is never less than a
// boundary, so it lands past the last one.
func bucketizeRun[T int32 | int64 | float32 | float64](b []float32, x []T, o []int32, conv func(T) float64) {
	for i, v := range x {
		f := conv(v)
		if math.IsNaN(f) {
			o[i] = int32(len(b))
			continue
		}
		j, _ := slices.BinarySearchFunc(b, f, func(e float32, t float64) int {
			if float64(e) <= t {
				return -1
			}
			return 1
		})
		o[i] = int32(j)
	}
}
