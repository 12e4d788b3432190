package ops_test

import (
	"fmt"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// quantCase is one quantization setup of a 1x1 operator computing
// 2 * 3 (+ bias 0) with unit scales.
type quantCase struct {
	name         string
	in, filter   models.DType
	bias         models.DType // models.Unknown: no bias
	inZP, filtZP int64
}

// quantOp builds CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV or
// FULLY_CONNECTED with one input element, one weight and one output
// channel.
func quantOp(op ops.Op, c quantCase) *bOp {
	shape4 := []int{1, 1, 1, 1}
	in := bIn(c.in, shape4, bQ(1, c.inZP), []float64{2 + float64(c.inZP)})
	w := bConst(c.filter, shape4, bQ(1, c.filtZP), []float64{3 + float64(c.filtZP)})
	var bias *bT
	if c.bias != models.Unknown {
		bias = bConst(c.bias, []int{1}, nil, []float64{0})
	}
	out := &bT{dt: c.in, shape: shape4, q: bQ(1, 0)}
	o := &bOp{op: op, out: out}
	switch op {
	case ops.OpConv2d:
		o.opts = bOpts(build.OptConv2D, 0, int8(1), 1, int32(1), 2, int32(1))
		o.ins = []*bT{in, w, bias}
	case ops.OpDepthwiseConv2d:
		o.opts = bOpts(build.OptDepthwiseConv2D, 0, int8(1), 1, int32(1), 2, int32(1))
		o.ins = []*bT{in, w, bias}
	case ops.OpTransposeConv:
		o.opts = bOpts(build.OptTransposeConv, 0, int8(1), 1, int32(1), 2, int32(1))
		o.ins = []*bT{bConst(models.Int32, []int{4}, nil, []float64{1, 1, 1, 1}), w, in, bias}
		o.version = 3
	case ops.OpFullyConnected:
		in.shape, w.shape, out.shape = []int{1, 1}, []int{1, 1}, []int{1, 1}
		o.ins = []*bT{in, w, bias}
	}
	if o.ins[len(o.ins)-1] == nil {
		o.ins = o.ins[:len(o.ins)-1]
	}
	return o
}

// TestSharedQuantPrepare runs the four operators through the same
// quantization setups: where the shared prepare's parameters make them
// differ (uint8 path, int16 weights, symmetric filters, int16 bias), each
// gets its own answer, and every error names the operator and node.
func TestSharedQuantPrepare(t *testing.T) {
	const ok, raw12 = "", "=12"
	conv, dw, tconv, fc := ops.OpConv2d, ops.OpDepthwiseConv2d, ops.OpTransposeConv, ops.OpFullyConnected
	for _, tc := range []struct {
		quantCase
		want map[ops.Op]string
	}{
		{quantCase{"int8", models.Int8, models.Int8, models.Int32, 0, 0}, map[ops.Op]string{conv: ok, dw: ok, tconv: ok, fc: ok}},
		{quantCase{"int8 no bias", models.Int8, models.Int8, models.Unknown, 0, 0}, map[ops.Op]string{conv: ok, dw: ok, tconv: ok, fc: ok}},
		{quantCase{"uint8", models.UInt8, models.UInt8, models.Int32, 0, 0}, map[ops.Op]string{
			conv: ok, dw: ok, fc: ok, tconv: "input type uint8 is not supported"}},
		{quantCase{"int8 int64 bias", models.Int8, models.Int8, models.Int64, 0, 0}, map[ops.Op]string{
			conv:  "int8 convolution needs an int32 bias, got int64",
			dw:    "int8 depthwise convolution needs an int32 bias, got int64",
			tconv: "int8 transpose convolution needs an int32 bias, got int64",
			fc:    "int8 fully connected needs an int32 bias, got int64"}},
		{quantCase{"int8 uint8 filter", models.Int8, models.UInt8, models.Int32, 0, 0}, map[ops.Op]string{
			conv: "int8 input needs an int8 filter, got uint8", dw: "int8 input needs an int8 filter, got uint8",
			tconv: "int8 input needs int8 weights, got uint8", fc: "int8 input needs an int8 filter, got uint8"}},
		{quantCase{"int8 filter zero point", models.Int8, models.Int8, models.Int32, 0, 3}, map[ops.Op]string{
			conv: "has zero point 3 at 0; symmetric quantization needs 0", fc: ok,
			// Depthwise and transpose convolution assume symmetric int8
			// weights without checking: the raw 6 is used.
			dw: raw12, tconv: raw12}},
		{quantCase{"int16 int32 bias", models.Int16, models.Int8, models.Int32, 0, 0}, map[ops.Op]string{
			conv: ok, tconv: ok, fc: ok, dw: "int16 depthwise convolution needs an int64 bias, got int32"}},
		{quantCase{"int16 int64 bias", models.Int16, models.Int8, models.Int64, 0, 0}, map[ops.Op]string{conv: ok, dw: ok, tconv: ok, fc: ok}},
		{quantCase{"int16 int16 bias", models.Int16, models.Int8, models.Int16, 0, 0}, map[ops.Op]string{
			tconv: ok,
			conv:  "int16 convolution needs an int32 or int64 bias, got int16",
			dw:    "int16 depthwise convolution needs an int64 bias, got int16",
			fc:    "needs an int32 or int64 bias, got int16"}},
		{quantCase{"int16 weights", models.Int16, models.Int16, models.Int64, 0, 0}, map[ops.Op]string{
			fc: ok, conv: "int16 input needs an int8 filter, got int16", dw: "int16 input needs an int8 filter, got int16",
			tconv: "int16 input needs int8 weights, got int16"}},
		{quantCase{"int16 input zero point", models.Int16, models.Int8, models.Int64, 1, 0}, map[ops.Op]string{
			conv: "int16 input and output need zero point 0, got 1 and 0", dw: "int16 input and output need zero point 0, got 1 and 0",
			tconv: "int16 input and output need zero point 0, got 1 and 0", fc: "int16 input and output need zero point 0, got 1 and 0"}},
	} {
		for _, op := range []ops.Op{conv, dw, tconv, fc} {
			want, listed := tc.want[op]
			if !listed {
				t.Fatalf("%s: no expectation for %s", tc.name, op)
			}
			t.Run(fmt.Sprintf("%s/%s", tc.name, op), func(t *testing.T) {
				o := quantOp(op, tc.quantCase)
				wantOut := 6.0
				switch want {
				case ok:
				case raw12:
					wantOut = 12
				default:
					o.wantError(t, fmt.Sprintf("%s (node 0)", op), want)
					return
				}
				got := o.mustRun(t, o.out.shape)
				if len(got) != 1 || got[0] != wantOut {
					t.Fatalf("output %v, want [%g]", got, wantOut)
				}
			})
		}
	}
}
