package ops_test

import (
	"context"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
	"testing"
)

// Helpers shared by the tests of the operator families added for issue 14.

// noAllocs loads o, runs it once and checks that further invocations do not
// allocate.
func noAllocs(t *testing.T, o *bOp) {
	t.Helper()
	it, err := o.load()
	if err != nil {
		t.Fatalf("%s: %v", o.op, err)
	}
	defer it.Close()
	o.feed(it)
	ctx := context.Background()
	if err := it.Invoke(ctx); err != nil {
		t.Fatalf("%s: %v", o.op, err)
	}
	if a := testing.AllocsPerRun(10, func() { _ = it.Invoke(ctx) }); a != 0 {
		t.Errorf("%s: %v allocations per Invoke, want 0", o.op, a)
	}
}

// v1 sets a test operator's version to 1 (for operators TFLite has only
// one version of).
func v1(o *bOp) *bOp {
	o.version = 1
	return o
}

// noAllocsEwt is noAllocs for the ewt harness (which carries every type,
// bool and float64 included).
func noAllocsEwt(t *testing.T, op ops.Op, version int, opt build.Options, ins []ewtT, out ewtT) {
	t.Helper()
	it, err := ewtLoad(t, ewtModel(op, version, opt, ins, out))
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	if err := ewtInvoke(t, it, ins); err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	ctx := context.Background()
	if a := testing.AllocsPerRun(10, func() { _ = it.Invoke(ctx) }); a != 0 {
		t.Errorf("%s: %v allocations per Invoke, want 0", op, a)
	}
}
