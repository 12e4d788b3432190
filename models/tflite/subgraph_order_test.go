package tflite_test

import (
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// An operator input that nothing defines (here the segment ids: no buffer,
// no producer, not a graph input) is refused at load, naming node and
// tensor; an empty one is harmless and loads.
func TestUndefinedInputRefused(t *testing.T) {
	for _, c := range []struct {
		idsShape []int
		want     string
	}{{[]int{2}, `input tensor 1 ("ids") is neither a constant`}, {[]int{0}, ""}} {
		b := build.New()
		x := b.Input("x", models.Float32, []int{c.idsShape[0], 3}, nil)
		ids := b.Tensor("ids", models.Int32, c.idsShape, nil)
		out := b.Tensor("out", models.Float32, []int{1, 3}, nil)
		b.Op(ops.OpSegmentSum, 1, []int{x, ids}, []int{out}, build.Options{})
		b.Output(out)
		data, err := b.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		it, err := tflite.Load(data, models.Options{})
		if c.want == "" {
			if err != nil {
				t.Fatalf("empty undefined input: %v", err)
			}
			it.Close()
			continue
		}
		if err == nil {
			it.Close()
			t.Fatal("model reading an undefined tensor loaded")
		}
		for _, w := range []string{"SEGMENT_SUM (node 0)", c.want} {
			if !strings.Contains(err.Error(), w) {
				t.Fatalf("error %q does not contain %q", err, w)
			}
		}
	}
}
