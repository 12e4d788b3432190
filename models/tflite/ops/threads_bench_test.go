package ops_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// BenchmarkSplitLayers runs chains of 16 identical layers (the shapes of
// MobileNet-style models: 3x3 depthwise and 1x1 convolutions, SAME
// padding so each layer feeds the next) on one and two threads; ns/layer
// is per layer. The chain spreads the workers' wake-up at the start of
// each Invoke over many layers, as in a real model. Comparing the two at each size is how the split thresholds
// of threads.go are chosen: an op should split where threads2 is clearly
// faster. With one thread the MAC count is in the name.
func BenchmarkSplitLayers(b *testing.B) {
	const chain = 16
	r := rand.New(rand.NewPCG(7, 8))
	type layer struct {
		dw      bool
		h, c    int
		float32 bool
	}
	var layers []layer
	for _, f := range []bool{false, true} {
		for _, hc := range [][2]int{{24, 32}, {12, 64}, {6, 128}, {3, 256}} {
			layers = append(layers, layer{dw: true, h: hc[0], c: hc[1], float32: f})
		}
		for _, hc := range [][2]int{{24, 32}, {12, 64}, {6, 128}, {12, 32}, {6, 64}, {6, 32}} {
			layers = append(layers, layer{h: hc[0], c: hc[1], float32: f})
		}
	}
	for _, l := range layers {
		kind, k, dt := "conv1x1", 1, models.Int8
		macs := l.h * l.h * l.c * l.c
		if l.dw {
			kind, k, macs = "dw3x3", 3, l.h*l.h*l.c*9
		}
		if l.float32 {
			dt = models.Float32
		}
		m := build.New()
		shape := []int{1, l.h, l.h, l.c}
		qa, qw := bQ(0.05, -3), bQC(slices.Repeat([]float64{0.01}, l.c), 0)
		if l.dw {
			qw.Axis = 3
		}
		qb := bQ(0.0005, 0)
		if dt == models.Float32 {
			qa, qw, qb = nil, nil, nil
		}
		x := m.Input("x", dt, shape, qa)
		for i := range chain {
			wShape := []int{l.c, k, k, l.c}
			op, opts := ops.OpConv2d, convOpts(cgeom{sh: 1, sw: 1, dh: 1, dw: 1}, ops.ActRelu)
			if l.dw {
				wShape, op = []int{1, k, k, l.c}, ops.OpDepthwiseConv2d
				opts = dwOpts(cgeom{sh: 1, sw: 1, dh: 1, dw: 1, cin: 1, cout: 1}, ops.ActRelu)
			}
			bt := models.Int32
			wv := bRandQ(r, k*k*l.c*wShape[0], -127, 127)
			bv := bRandQ(r, l.c, -3000, 3000)
			if dt == models.Float32 {
				bt, wv, bv = models.Float32, bRandF(r, len(wv), 0.3), bRandF(r, l.c, 0.1)
			}
			w := m.Const(fmt.Sprint("w", i), dt, wShape, bTyped(dt, wv), qw)
			bias := m.Const(fmt.Sprint("b", i), bt, []int{l.c}, bTyped(bt, bv), qb)
			y := m.Tensor(fmt.Sprint("y", i), dt, shape, qa)
			m.Op(op, 1, []int{x, w, bias}, []int{y}, opts)
			x = y
		}
		m.Output(x)
		data, err := m.Bytes()
		if err != nil {
			b.Fatal(err)
		}
		name := fmt.Sprintf("%s_%v_%dx%dx%d_%dkMAC", kind, dt, l.h, l.h, l.c, macs/1000)
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads%d", name, threads), func(b *testing.B) {
				it, err := tflite.Load(data, models.Options{Threads: threads})
				if err != nil {
					b.Fatal(err)
				}
				defer it.Close()
				ctx := context.Background()
				for b.Loop() {
					if err := it.Invoke(ctx); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*chain), "ns/layer")
			})
		}
	}
}
