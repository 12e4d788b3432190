package ops_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// TestDenseInt8InputsChangeBetweenInvokes feeds new filter and bias
// values into a FULLY_CONNECTED whose filter and bias are graph inputs:
// the second Invoke must match a fresh interpreter on the new values, so
// nothing kept from the first Invoke (the folded corr + bias) goes stale.
func TestDenseInt8InputsChangeBetweenInvokes(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 4))
	mk := func(constW bool) *bOp {
		w := bIn(models.Int8, []int{8, 16}, bQ(0.01, 0), bRandQ(r, 128, -127, 127))
		if constW {
			w = bConst(models.Int8, []int{8, 16}, bQ(0.01, 0), bRandQ(r, 128, -127, 127))
		}
		return &bOp{op: ops.OpFullyConnected, opts: fcOpts(ops.ActNone, false),
			ins: []*bT{bIn(models.Int8, []int{2, 16}, bQ(0.1, 3), bRandQ(r, 32, -128, 127)), w,
				bIn(models.Int32, []int{8}, nil, bRandQ(r, 8, -3000, 3000))},
			out: &bT{dt: models.Int8, shape: []int{2, 8}, q: bQ(0.05, -2)}}
	}
	for _, constW := range []bool{false, true} {
		o := mk(constW)
		it, err := o.load()
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		o.feed(it)
		if err := it.Invoke(ctx); err != nil {
			t.Fatal(err)
		}
		first := bDecode(models.Int8, it.Output(0))
		if !constW {
			o.ins[1].vals = bRandQ(r, 128, -127, 127)
		}
		o.ins[2].vals = bRandQ(r, 8, -3000, 3000)
		o.feed(it)
		if err := it.Invoke(ctx); err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprint(bDecode(models.Int8, it.Output(0)))
		it.Close()
		want, _, err := o.run()
		if err != nil {
			t.Fatal(err)
		}
		if got != fmt.Sprint(want) {
			t.Errorf("const filter %v: second Invoke gave %v, a fresh interpreter %v", constW, got, want)
		}
		if got == fmt.Sprint(first) {
			t.Errorf("const filter %v: new bias values left the output unchanged (%v)", constW, got)
		}
	}
}
