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
			b.Op(ops.OpReduceWindow, 1, []int{x, init, ones, ones, ones}, []int{out}, build.Options{Fields: []build.Field{{Slot: 0, Value: int32(1)}}})
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
