package tflite_test

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/models/tflite/flexbuf"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// allocSlack is what Load may allocate beyond the memory limit: error
// strings, the kernel table and other per-load constants that do not grow
// with the model.
const allocSlack = 256 << 10

// loadAllocated loads data under limit and returns the bytes the Go heap
// handed out meanwhile (garbage included) and Load's error.
func loadAllocated(data []byte, limit int64) (uint64, error) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	it, err := tflite.Load(data, models.Options{MaxBytes: limit, Threads: 1})
	runtime.ReadMemStats(&after)
	if it != nil {
		it.Close()
	}
	return after.TotalAlloc - before.TotalAlloc, err
}

const huge = 1 << 22 // a declared dimension: 4 Mi elements, 16 MiB of float32

var q8 = &models.Quant{Scale: []float32{0.05}, ZeroPoint: []int64{0}}

// hostileModels are tiny files whose single operator declares huge shapes,
// each built so that the kernel's Prepare gets past its validation to the
// point where it sizes its tables and scratch. op is what the error must
// name; empty when the limit is reached by the arena, after Prepare.
func hostileModels() []struct {
	name, op string
	build    func(b *build.Builder)
} {
	return []struct {
		name, op string
		build    func(b *build.Builder)
	}{
		{"batch_matmul broadcast index", "BATCH_MATMUL", func(b *build.Builder) {
			l := b.Input("l", models.Float32, []int{huge, 1, 1}, nil)
			r := b.Const("r", models.Float32, []int{1, 1, 1}, []float32{1}, nil)
			out := b.Tensor("out", models.Float32, []int{huge, 1, 1}, nil)
			b.Op(ops.OpBatchMatmul, 1, []int{l, r}, []int{out}, build.Options{Type: build.OptBatchMatMul})
			b.Output(out)
		}},
		{"fully_connected multipliers", "FULLY_CONNECTED", func(b *build.Builder) {
			x := b.Input("x", models.Int8, []int{1, 1}, q8)
			w := b.Input("w", models.Int8, []int{huge, 1}, q8)
			out := b.Tensor("out", models.Int8, []int{1, huge}, q8)
			b.Op(ops.OpFullyConnected, 1, []int{x, w, -1}, []int{out}, build.Options{Type: build.OptFullyConnected})
			b.Output(out)
		}},
		{"conv_2d per-channel tables", "CONV_2D", func(b *build.Builder) {
			x := b.Input("x", models.Int8, []int{1, 1, 1, 1}, q8)
			w := b.Input("w", models.Int8, []int{huge, 1, 1, 1}, q8)
			out := b.Tensor("out", models.Int8, []int{1, 1, 1, huge}, q8)
			b.Op(ops.OpConv2d, 1, []int{x, w, -1}, []int{out}, build.Options{Type: build.OptConv2D, Fields: []build.Field{
				{Slot: 0, Value: int8(1)}, {Slot: 1, Value: int32(1)}, {Slot: 2, Value: int32(1)}}})
			b.Output(out)
		}},
		{"depthwise_conv_2d per-channel tables", "DEPTHWISE_CONV_2D", func(b *build.Builder) {
			x := b.Input("x", models.Int8, []int{1, 1, 1, huge}, q8)
			w := b.Input("w", models.Int8, []int{1, 1, 1, huge}, q8)
			out := b.Tensor("out", models.Int8, []int{1, 1, 1, huge}, q8)
			b.Op(ops.OpDepthwiseConv2d, 1, []int{x, w, -1}, []int{out}, build.Options{Type: build.OptDepthwiseConv2D, Fields: []build.Field{
				{Slot: 0, Value: int8(1)}, {Slot: 1, Value: int32(1)}, {Slot: 2, Value: int32(1)}, {Slot: 3, Value: int32(1)}}})
			b.Output(out)
		}},
		{"resize_bilinear coordinate tables", "RESIZE_BILINEAR", func(b *build.Builder) {
			x := b.Input("x", models.Float32, []int{1, 1, 1, 1}, nil)
			size := b.Const("size", models.Int32, []int{2}, []int32{1 << 20, 1}, nil)
			out := b.Tensor("out", models.Float32, []int{1, 1 << 20, 1, 1}, nil)
			b.Op(ops.OpResizeBilinear, 1, []int{x, size}, []int{out}, build.Options{Type: build.OptResizeBilinear})
			b.Output(out)
		}},
		{"fill dims", "FILL", func(b *build.Builder) {
			dims := b.Input("dims", models.Int32, []int{huge}, nil)
			v := b.Input("v", models.Float32, []int{}, nil)
			out := b.Tensor("out", models.Float32, []int{1}, nil)
			b.Op(ops.OpFill, 1, []int{dims, v}, []int{out}, build.Options{Type: build.OptFill})
			b.Output(out)
		}},
		{"mirror_pad index maps", "MIRROR_PAD", func(b *build.Builder) {
			x := b.Input("x", models.Int8, []int{huge}, q8)
			pads := b.Const("pads", models.Int32, []int{1, 2}, []int32{1, 1}, nil)
			out := b.Tensor("out", models.Int8, []int{huge + 2}, q8)
			b.Op(ops.OpMirrorPad, 1, []int{x, pads}, []int{out}, build.Options{Type: build.OptMirrorPad})
			b.Output(out)
		}},
		{"mean accumulators", "MEAN", func(b *build.Builder) {
			x := b.Input("x", models.Int8, []int{huge, 2}, q8)
			axes := b.Const("axes", models.Int32, []int{1}, []int32{1}, nil)
			out := b.Tensor("out", models.Int8, []int{huge}, q8)
			b.Op(ops.OpMean, 1, []int{x, axes}, []int{out}, build.Options{Type: build.OptReducer})
			b.Output(out)
		}},
		{"rfft2d scratch", "RFFT2D", func(b *build.Builder) {
			x := b.Input("x", models.Float32, []int{1, 1}, nil)
			fl := b.Const("fft_length", models.Int32, []int{2}, []int32{1024, 1024}, nil)
			out := b.Tensor("out", models.Complex64, []int{1}, nil)
			b.Op(ops.OpRfft2d, 1, []int{x, fl}, []int{out}, build.Options{})
			b.Output(out)
		}},
		{"reduce_prod accumulators", "REDUCE_PROD", func(b *build.Builder) {
			x := b.Input("x", models.Int8, []int{huge, 2}, q8)
			axes := b.Const("axes", models.Int32, []int{1}, []int32{1}, nil)
			out := b.Tensor("out", models.Int8, []int{huge}, q8)
			b.Op(ops.OpReduceProd, 2, []int{x, axes}, []int{out}, build.Options{Type: build.OptReducer})
			b.Output(out)
		}},
		{"l2_pool_2d channel sums", "L2_POOL_2D", func(b *build.Builder) {
			x := b.Input("x", models.Float32, []int{1, 1, 1, huge}, nil)
			out := b.Tensor("out", models.Float32, []int{1, 1, 1, huge}, nil)
			b.Op(ops.OpL2Pool2d, 1, []int{x}, []int{out}, build.Options{Type: build.OptPool2D, Fields: []build.Field{
				{Slot: 1, Value: int32(1)}, {Slot: 2, Value: int32(1)}, {Slot: 3, Value: int32(1)}, {Slot: 4, Value: int32(1)}}})
			b.Output(out)
		}},
		{"local_response_normalization window", "LOCAL_RESPONSE_NORMALIZATION", func(b *build.Builder) {
			x := b.Input("x", models.Float32, []int{1, 1, 1, 2}, nil)
			out := b.Tensor("out", models.Float32, []int{1, 1, 1, 2}, nil)
			b.Op(ops.OpLocalResponseNormalization, 1, []int{x}, []int{out}, build.Options{Type: build.OptLocalResponseNormalization, Fields: []build.Field{
				{Slot: 0, Value: int32(huge)}}})
			b.Output(out)
		}},
		{"unique permutation", "UNIQUE", func(b *build.Builder) {
			x := b.Input("x", models.Int32, []int{huge}, nil)
			y := b.Tensor("y", models.Int32, []int{1}, nil)
			idx := b.Tensor("idx", models.Int32, []int{1}, nil)
			b.Op(ops.OpUnique, 1, []int{x}, []int{y, idx}, build.Options{})
			b.Output(y)
		}},
		{"non_max_suppression heap", "NON_MAX_SUPPRESSION_V4", func(b *build.Builder) {
			boxes := b.Input("boxes", models.Float32, []int{huge, 4}, nil)
			scores := b.Input("scores", models.Float32, []int{huge}, nil)
			m := b.Const("max", models.Int32, []int{}, []int32{1}, nil)
			iou := b.Const("iou", models.Float32, []int{}, []float32{0.5}, nil)
			st := b.Const("st", models.Float32, []int{}, []float32{0}, nil)
			idx := b.Tensor("idx", models.Int32, []int{1}, nil)
			num := b.Tensor("num", models.Int32, []int{}, nil)
			b.Op(ops.OpNonMaxSuppressionV4, 1, []int{boxes, scores, m, iou, st}, []int{idx, num}, build.Options{})
			b.Output(idx)
		}},
		// The kernels below keep no tables sized by shapes: a hostile shape
		// must reach the arena's limit without Prepare allocating it.
		{"floor_div broadcast arena", "", func(b *build.Builder) {
			x := b.Input("x", models.Int32, []int{huge, 1}, nil)
			y := b.Input("y", models.Int32, []int{1, huge}, nil)
			out := b.Tensor("out", models.Int32, []int{1}, nil)
			b.Op(ops.OpFloorDiv, 1, []int{x, y}, []int{out}, build.Options{})
			b.Output(out)
		}},
		{"space_to_batch_nd arena", "", func(b *build.Builder) {
			x := b.Input("x", models.Float32, []int{1, 2, 2, 1}, nil)
			block := b.Const("block", models.Int32, []int{2}, []int32{1, 1}, nil)
			pads := b.Const("pads", models.Int32, []int{2, 2}, []int32{0, huge, 0, 0}, nil)
			out := b.Tensor("out", models.Float32, []int{1}, nil)
			b.Op(ops.OpSpaceToBatchNd, 1, []int{x, block, pads}, []int{out}, build.Options{})
			b.Output(out)
		}},
		{"batch_to_space_nd arena", "", func(b *build.Builder) {
			x := b.Input("x", models.Float32, []int{huge, 1, 1, 1}, nil)
			block := b.Const("block", models.Int32, []int{2}, []int32{2, 2}, nil)
			crops := b.Const("crops", models.Int32, []int{2, 2}, []int32{0, 0, 0, 0}, nil)
			out := b.Tensor("out", models.Float32, []int{1}, nil)
			b.Op(ops.OpBatchToSpaceNd, 1, []int{x, block, crops}, []int{out}, build.Options{})
			b.Output(out)
		}},
		{"gather_nd arena", "", func(b *build.Builder) {
			p := b.Input("p", models.Float32, []int{2, huge}, nil)
			idx := b.Input("idx", models.Int32, []int{4, 1}, nil)
			out := b.Tensor("out", models.Float32, []int{1}, nil)
			b.Op(ops.OpGatherNd, 1, []int{p, idx}, []int{out}, build.Options{})
			b.Output(out)
		}},
		{"scatter_nd arena", "", func(b *build.Builder) {
			idx := b.Input("idx", models.Int32, []int{1, 1}, nil)
			upd := b.Input("upd", models.Float32, []int{1, 2}, nil)
			shape := b.Const("shape", models.Int32, []int{2}, []int32{huge, 2}, nil)
			out := b.Tensor("out", models.Float32, []int{1}, nil)
			b.Op(ops.OpScatterNd, 1, []int{idx, upd, shape}, []int{out}, build.Options{})
			b.Output(out)
		}},
		{"rnn hybrid quantized input", "RNN", func(b *build.Builder) {
			x := b.Input("x", models.Float32, []int{1, huge}, nil)
			w := b.Input("w", models.Int8, []int{1, huge}, q8)
			r := b.Input("r", models.Int8, []int{1, 1}, q8)
			bias := b.Input("bias", models.Float32, []int{1}, nil)
			h := b.Variable("h", models.Float32, []int{1, 1}, nil, nil)
			out := b.Tensor("out", models.Float32, []int{1, 1}, nil)
			b.Op(ops.OpRnn, 1, []int{x, w, r, bias, h}, []int{out}, build.Options{Type: build.OptRNN, Fields: []build.Field{{Slot: 1, Value: true}}})
			b.Output(out)
		}},
		{"bidirectional rnn hybrid scratch", "BIDIRECTIONAL_SEQUENCE_RNN", func(b *build.Builder) {
			x := b.Input("x", models.Float32, []int{1, 1, huge}, nil)
			in := []int{x}
			for i := 0; i < 2; i++ {
				w := b.Input("w", models.Int8, []int{1, huge}, q8)
				r := b.Input("r", models.Int8, []int{1, 1}, q8)
				bias := b.Input("bias", models.Float32, []int{1}, nil)
				h := b.Variable("h", models.Float32, []int{1, 1}, nil, nil)
				in = append(in, w, r, bias, h)
			}
			in = append(in, -1, -1, -1)
			out := b.Tensor("out", models.Float32, []int{1, 1, 2}, nil)
			b.Op(ops.OpBidirectionalSequenceRnn, 1, in, []int{out}, build.Options{Type: build.OptBidirectionalSequenceRNN, Fields: []build.Field{{Slot: 2, Value: true}}})
			b.Output(out)
		}},
		{"svdf hybrid quantized input", "SVDF", func(b *build.Builder) {
			x := b.Input("x", models.Float32, []int{1, huge}, nil)
			wf := b.Input("wf", models.Int8, []int{1, huge}, q8)
			wt := b.Input("wt", models.Int8, []int{1, 1}, q8)
			state := b.Variable("s", models.Float32, []int{1, 1}, nil, nil)
			out := b.Tensor("out", models.Float32, []int{1, 1}, nil)
			b.Op(ops.OpSvdf, 1, []int{x, wf, wt, -1, state}, []int{out}, build.Options{Type: build.OptSVDF, Fields: []build.Field{{Slot: 0, Value: int32(1)}}})
			b.Output(out)
		}},
		{"lstm hybrid quantized input", "LSTM", func(b *build.Builder) {
			in := make([]int, 24)
			for i := range in {
				in[i] = -1
			}
			in[0] = b.Input("x", models.Float32, []int{1, huge}, nil)
			for g := 0; g < 4; g++ {
				in[1+g] = b.Input("w", models.Int8, []int{1, huge}, q8)
				in[5+g] = b.Input("r", models.Int8, []int{1, 1}, q8)
				in[12+g] = b.Input("bias", models.Float32, []int{1}, nil)
			}
			in[18] = b.Variable("h", models.Float32, []int{1, 1}, nil, nil)
			in[19] = b.Variable("c", models.Float32, []int{1, 1}, nil, nil)
			out := b.Tensor("out", models.Float32, []int{1, 1}, nil)
			b.Op(ops.OpLstm, 1, in, []int{out}, build.Options{Type: build.OptLSTM})
			b.Output(out)
		}},
		{"embedding_lookup arena", "", func(b *build.Builder) {
			ids := b.Input("ids", models.Int32, []int{huge}, nil)
			val := b.Const("value", models.Float32, []int{2, 2}, []float32{1, 2, 3, 4}, nil)
			out := b.Tensor("out", models.Float32, []int{1}, nil)
			b.Op(ops.OpEmbeddingLookup, 1, []int{ids, val}, []int{out}, build.Options{})
			b.Output(out)
		}},
		{"sparse_to_dense arena", "", func(b *build.Builder) {
			idx := b.Input("idx", models.Int32, []int{1, 2}, nil)
			shape := b.Const("shape", models.Int32, []int{2}, []int32{huge, 4}, nil)
			v := b.Input("v", models.Float32, []int{}, nil)
			d := b.Input("d", models.Float32, []int{}, nil)
			out := b.Tensor("out", models.Float32, []int{1}, nil)
			b.Op(ops.OpSparseToDense, 1, []int{idx, shape, v, d}, []int{out}, build.Options{})
			b.Output(out)
		}},
		{"unsorted_segment_sum arena", "", func(b *build.Builder) {
			x := b.Input("x", models.Float32, []int{2, 4}, nil)
			ids := b.Const("ids", models.Int32, []int{2}, []int32{0, 1}, nil)
			num := b.Const("num", models.Int32, []int{}, []int32{huge}, nil)
			out := b.Tensor("out", models.Float32, []int{1}, nil)
			b.Op(ops.OpUnsortedSegmentSum, 1, []int{x, ids, num}, []int{out}, build.Options{})
			b.Output(out)
		}},
		{"matrix_diag arena", "", func(b *build.Builder) {
			// [2048] becomes [2048, 2048]: 16 MiB, no overflow on 32-bit.
			x := b.Input("x", models.Float32, []int{2048}, nil)
			out := b.Tensor("out", models.Float32, []int{1}, nil)
			b.Op(ops.OpMatrixDiag, 1, []int{x}, []int{out}, build.Options{})
			b.Output(out)
		}},
		{"dilate arena", "", func(b *build.Builder) {
			x := b.Input("x", models.Float32, []int{2, 2}, nil)
			d := b.Const("d", models.Int32, []int{2}, []int32{huge, 2}, nil)
			p := b.Input("p", models.Float32, []int{}, nil)
			out := b.Tensor("out", models.Float32, []int{1}, nil)
			b.Op(ops.OpDilate, 1, []int{x, d, p}, []int{out}, build.Options{})
			b.Output(out)
		}},
		{"reduce_window arena", "", func(b *build.Builder) {
			x := b.Input("x", models.Float32, []int{huge, 2}, nil)
			init := b.Input("init", models.Float32, []int{}, nil)
			ones := b.Const("ones", models.Int64, []int{2}, []int64{1, 1}, nil)
			out := b.Tensor("out", models.Float32, []int{1}, nil)
			o := b.Op(ops.OpReduceWindow, 1, []int{x, init, ones, ones, ones}, []int{out}, build.Options{})
			b.SetOptions2(o, build.Opt2ReduceWindow, []build.Field{{Slot: 0, Value: int32(1)}})
			b.Output(out)
		}},
		{"bidirectional lstm hybrid quantized input", "BIDIRECTIONAL_SEQUENCE_LSTM", func(b *build.Builder) {
			in := make([]int, 48)
			for i := range in {
				in[i] = -1
			}
			in[0] = b.Input("x", models.Float32, []int{1, 1, huge}, nil)
			for d := 0; d < 2; d++ {
				o := 17 * d
				for g := 0; g < 4; g++ {
					in[1+o+g] = b.Input("w", models.Int8, []int{1, huge}, q8)
					in[5+o+g] = b.Input("r", models.Int8, []int{1, 1}, q8)
					in[12+o+g] = b.Input("bias", models.Float32, []int{1}, nil)
				}
				in[35+2*d] = b.Variable("h", models.Float32, []int{1, 1}, nil, nil)
				in[36+2*d] = b.Variable("c", models.Float32, []int{1, 1}, nil, nil)
			}
			out := b.Tensor("out", models.Float32, []int{1, 1, 2}, nil)
			b.Op(ops.OpBidirectionalSequenceLstm, 1, in, []int{out}, build.Options{Type: build.OptBidirectionalSequenceLSTM, Fields: []build.Field{{Slot: 3, Value: true}}})
			b.Output(out)
		}},
		{"skip_gram word stack", "SKIP_GRAM", func(b *build.Builder) {
			in := b.Const("sentence", models.String, []int{1}, build.Strings("a b"), nil)
			out := b.Tensor("grams", models.String, []int{0}, nil)
			b.Op(ops.OpSkipGram, 1, []int{in}, []int{out}, build.Options{Type: build.OptSkipGram, Fields: []build.Field{{Slot: 0, Value: int32(huge)}}})
			b.Output(out)
		}},
		{"lsh_projection key buffer", "LSH_PROJECTION", func(b *build.Builder) {
			h := b.Const("hash", models.Float32, []int{1, 1}, []float32{1}, nil)
			x := b.Input("x", models.Int32, []int{1, huge}, nil)
			out := b.Tensor("out", models.Int32, []int{1}, nil)
			b.Op(ops.OpLshProjection, 1, []int{h, x}, []int{out}, build.Options{Type: build.OptLSHProjection, Fields: []build.Field{{Slot: 0, Value: int8(2)}}})
			b.Output(out)
		}},
		{"densify dense shape", "sparsity", func(b *build.Builder) {
			w := b.Const("w", models.Float32, []int{huge, huge, huge}, build.Raw{0, 0, 128, 63}, nil)
			b.SetSparsity(w, build.Sparsity{TraversalOrder: []int32{0, 1, 2}, Dims: []build.SparseDim{
				{CSR: true, Segments: []int32{0, 1}, Indices: []int32{0}},
				{CSR: true, Segments: []int32{0, 1}, Indices: []int32{0}},
				{CSR: true, Segments: []int32{0, 1}, Indices: []int32{0}}}})
			out := b.Tensor("out", models.Float32, []int{huge, huge, huge}, nil)
			b.Op(ops.OpDensify, 1, []int{w}, []int{out}, build.Options{})
			b.Output(out)
		}},
		// Under the element limit, but its dense output outgrows the arena.
		{"densify arena", "", func(b *build.Builder) {
			w := b.Const("w", models.Float32, []int{huge / 16, 2}, build.Raw{0, 0, 128, 63, 0, 0, 0, 64}, nil)
			b.SetSparsity(w, build.Sparsity{TraversalOrder: []int32{0, 1}, Dims: []build.SparseDim{
				{CSR: true, Segments: []int32{0, 1}, Indices: []int32{huge/16 - 1}}, {DenseSize: 2}}})
			out := b.Tensor("out", models.Float32, []int{huge / 16, 2}, nil)
			b.Op(ops.OpDensify, 1, []int{w}, []int{out}, build.Options{})
			b.Output(out)
		}},
		{"composite decomposition arena", "", func(b *build.Builder) {
			x := b.Input("x", models.Float32, []int{1}, nil)
			out := b.Tensor("out", models.Float32, []int{1}, nil)
			op := b.Op(ops.OpStablehloComposite, 1, []int{x}, []int{out}, build.Options{})
			b.SetOptions2(op, build.Opt2StableHLOComposite, []build.Field{{Slot: 1, Value: int32(1)}})
			b.Output(out)
			s := b.NewSubgraph("decomposition")
			sx := s.Input("x", models.Float32, []int{huge, huge}, nil)
			sy := s.Tensor("y", models.Float32, []int{huge, huge}, nil)
			s.Op(ops.OpAdd, 1, []int{sx, sx}, []int{sy}, build.Options{Type: build.OptAdd})
			s.Output(sy)
		}},
		{"stablehlo_gather output", "", func(b *build.Builder) {
			x := b.Input("x", models.Float32, []int{1, 64}, nil)
			idx := b.Input("idx", models.Int32, []int{huge / 16}, nil)
			out := b.Tensor("out", models.Float32, []int{1}, nil)
			op := b.Op(ops.OpStablehloGather, 1, []int{x, idx}, []int{out}, build.Options{})
			b.SetOptions2(op, build.Opt2StablehloGather, []build.Field{{Slot: 0, Value: []int64{1}},
				{Slot: 1, Value: []int64{0}}, {Slot: 2, Value: []int64{0}}, {Slot: 3, Value: int64(1)}, {Slot: 4, Value: []int64{1, 64}}})
			b.Output(out)
		}},
		{"stablehlo_scatter updates", "", func(b *build.Builder) {
			x := b.Input("x", models.Float32, []int{huge / 16, 64}, nil)
			idx := b.Input("idx", models.Int32, []int{1}, nil)
			upd := b.Input("upd", models.Float32, []int{huge / 16, 64}, nil)
			out := b.Tensor("out", models.Float32, []int{1}, nil)
			op := b.Op(ops.OpStablehloScatter, 1, []int{x, idx, upd}, []int{out}, build.Options{})
			b.SetOptions2(op, build.Opt2StablehloScatter, []build.Field{{Slot: 1, Value: []int64{0, 1}},
				{Slot: 3, Value: []int64{0}}, {Slot: 4, Value: int64(0)}, {Slot: 6, Value: int32(1)}})
			b.Output(out)
			s := b.NewSubgraph("update")
			p, q := s.Input("p", models.Float32, []int{}, nil), s.Input("q", models.Float32, []int{}, nil)
			r := s.Tensor("r", models.Float32, []int{}, nil)
			s.Op(ops.OpAdd, 1, []int{p, q}, []int{r}, build.Options{Type: build.OptAdd})
			s.Output(r)
		}},
		{"stablehlo_reduce_window output", "", func(b *build.Builder) {
			x := b.Input("x", models.Float32, []int{1, 1}, nil)
			init := b.Input("init", models.Float32, []int{}, nil)
			out := b.Tensor("out", models.Float32, []int{1}, nil)
			op := b.Op(ops.OpStablehloReduceWindow, 1, []int{x, init}, []int{out}, build.Options{})
			b.SetOptions2(op, build.Opt2StablehloReduceWindow, []build.Field{{Slot: 0, Value: []int64{1, 1}},
				{Slot: 4, Value: []int64{0, huge, 0, 64}}, {Slot: 5, Value: int32(1)}})
			b.Output(out)
			s := b.NewSubgraph("body")
			p, q := s.Input("p", models.Float32, []int{}, nil), s.Input("q", models.Float32, []int{}, nil)
			r := s.Tensor("r", models.Float32, []int{}, nil)
			s.Op(ops.OpAdd, 1, []int{p, q}, []int{r}, build.Options{Type: build.OptAdd})
			s.Output(r)
		}},
		{"stablehlo_rng_bit_generator output", "STABLEHLO_RNG_BIT_GENERATOR", func(b *build.Builder) {
			x := b.Input("state", models.UInt64, []int{2}, nil)
			ks := b.Tensor("new_state", models.UInt64, []int{2}, nil)
			out := b.Tensor("bits", models.UInt64, []int{huge / 16, 64}, nil) // fits a 32-bit int, not the limit
			op := b.Op(ops.OpStablehloRngBitGenerator, 1, []int{x}, []int{ks, out}, build.Options{})
			b.SetOptions2(op, build.Opt2StablehloRngBitGenerator, []build.Field{{Slot: 0, Value: int8(2)}})
			b.Output(ks, out)
		}},
		{"audio_spectrogram fft tables", "AudioSpectrogram", func(b *build.Builder) {
			x := b.Input("x", models.Float32, []int{1, 1}, nil)
			out := b.Tensor("out", models.Float32, []int{}, nil)
			// An encoding failure would leave no options, and the error
			// would then not name the limit.
			opt, _ := flexbuf.Encode(flexbuf.Entries{"window_size": 1 << 24, "stride": 1})
			b.CustomOp("AudioSpectrogram", 1, []int{x}, []int{out}, opt)
			b.Output(out)
		}},
		{"add arena", "", func(b *build.Builder) {
			x := b.Input("x", models.Float32, []int{huge, huge}, nil)
			out := b.Tensor("out", models.Float32, []int{huge, huge}, nil)
			b.Op(ops.OpAdd, 1, []int{x, x}, []int{out}, build.Options{Type: build.OptAdd})
			b.Output(out)
		}},
	}
}

func TestLoadHostileShapesStayWithinLimit(t *testing.T) {
	const limit = 1 << 20
	for _, m := range hostileModels() {
		t.Run(m.name, func(t *testing.T) {
			b := build.New()
			m.build(b)
			data, err := b.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			allocated, err := loadAllocated(data, limit)
			if err == nil {
				t.Fatalf("%d-byte model loaded under a %d-byte limit", len(data), limit)
			}
			if errors.Is(err, tflite.ErrInternal) {
				t.Fatal(err)
			}
			t.Logf("%d bytes allocated; %v", allocated, err)
			if allocated > limit+allocSlack {
				t.Errorf("Load allocated %d bytes for a %d-byte model under a %d-byte limit (error: %v)", allocated, len(data), limit, err)
			}
			for _, want := range []string{m.op, "limit"} {
				if want != "" && !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
		})
	}
}

// TestLoadHostileStrings: string buffers that lie about their size fail
// the load naming the tensor, before anything is sized from them.
func TestLoadHostileStrings(t *testing.T) {
	le := func(v ...uint32) build.Raw {
		out := make([]byte, 4*len(v))
		for i, x := range v {
			out[4*i], out[4*i+1], out[4*i+2], out[4*i+3] = byte(x), byte(x>>8), byte(x>>16), byte(x>>24)
		}
		return out
	}
	for _, c := range []struct {
		name  string
		shape []int
		data  build.Raw
		want  string
	}{
		{"count far past the buffer", []int{1000}, le(1<<30, 8), "count 1073741824 needs a 4294967304-byte header"},
		{"shape past the limit", []int{huge}, build.Strings("a"), "shape [4194304] of string is too large"},
		{"negative count", []int{1}, le(0x80000000, 8), "negative count"},
		{"count differs from shape", []int{3}, build.Strings("a"), "holds 1 strings, the shape has 3 elements"},
		{"offsets out of order", []int{2}, le(2, 16, 18, 17, 'a'|'b'<<8|'c'<<16), "offset 2 is 17, outside [18,20]"},
		{"offset past the end", []int{1}, le(1, 12, 99), "offset 1 is 99"},
		{"short header", []int{0}, le(0), "shorter than its 8-byte minimum header"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := build.New()
			s := b.Const("s", models.String, c.shape, c.data, nil)
			b.Output(s)
			data, err := b.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			allocated, err := loadAllocated(data, 1<<20)
			if err == nil {
				t.Fatal("loaded")
			}
			for _, want := range []string{`"s"`, c.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if allocated > allocSlack {
				t.Errorf("Load allocated %d bytes", allocated)
			}
		})
	}
}

// TestLoadStringVariable: a string variable (no fixed size to allocate)
// fails the load naming the tensor.
func TestLoadStringVariable(t *testing.T) {
	b := build.New()
	v := b.Variable("state", models.String, []int{1}, nil, nil)
	b.Output(v)
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	_, err = tflite.Load(data, models.Options{})
	if err == nil || !strings.Contains(err.Error(), `"state"`) || !strings.Contains(err.Error(), "string variable tensors are not supported") {
		t.Errorf("string variable: error %v", err)
	}
}

// TestHashtableImportStaysWithinLimit: a table larger than what is left of
// the memory limit fails the import naming the operator, without
// allocating it; a string tensor that no kernel wrote (a model input)
// fails cleanly too.
func TestHashtableImportStaysWithinLimit(t *testing.T) {
	const n = 70000 // file 840 KB; the sorted table needs 1.1 MB
	table := func(b *build.Builder, vals int) {
		h := b.Tensor("handle", models.Resource, []int{1}, nil)
		b.Op(ops.OpHashtable, 1, nil, []int{h}, build.Options{Type: build.OptHashtable, Fields: []build.Field{
			{Slot: 0, Value: int32(1)}, {Slot: 1, Value: int8(4)}, {Slot: 2, Value: int8(5)}}})
		keys := b.Const("keys", models.Int64, []int{n}, make([]int64, n), nil)
		b.Op(ops.OpHashtableImport, 1, []int{h, keys, vals}, nil, build.Options{})
		size := b.Tensor("size", models.Int64, []int{1}, nil)
		b.Op(ops.OpHashtableSize, 1, []int{h}, []int{size}, build.Options{})
		b.Output(size)
	}
	run := func(b *build.Builder) error {
		data, err := b.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		it, err := tflite.Load(data, models.Options{MaxBytes: 1 << 20, Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		return it.Invoke(t.Context())
	}

	b := build.New()
	table(b, b.Const("vals", models.String, []int{n}, build.Strings(make([]string, n)...), nil))
	err := run(b)
	if err == nil || !strings.Contains(err.Error(), "HASHTABLE_IMPORT (node 1)") || !strings.Contains(err.Error(), "limit") {
		t.Errorf("import of %d entries under a 1 MiB limit: error %v", n, err)
	}

	b = build.New()
	table(b, b.Input("vals", models.String, []int{n}, nil))
	err = run(b)
	if err == nil || !strings.Contains(err.Error(), `HASHTABLE_IMPORT (node 1): import tensor "vals": string buffer of 0 bytes`) {
		t.Errorf("import of an unwritten string input: error %v", err)
	}
}
