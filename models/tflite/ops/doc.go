// Package ops holds the kernels of axle's TFLite interpreter: one Kernel
// (Prepare, Eval, optional Reset) per builtin operator, listed in Builtins.
//
//	load      the model's builtin options (builtin_options_2 for the
//	  │       StableHLO operators and REDUCE_WINDOW) are decoded once into
//	  │       the typed struct of the operator (Node.Opts: *Conv2DOptions,
//	  │       ...; options_gen.go, generated from schema.fbs); a table of
//	  │       another type fails the load
//	  ▼
//	Prepare   validate types, shapes, quantization and options; set output
//	  │       shapes (Context.Resize); derive multipliers and tables; pack
//	  │       constant weights into the layout the inner loop reads; bind
//	  │       the Parallel callback; everything kept goes in n.State
//	  ▼
//	Eval      read inputs, write outputs from n.State: no allocation, no
//	          blocking, no waiting other than Context.Parallel
//
// Prepare may allocate, and everything it keeps counts against the model's
// memory limit before it exists: plain numbers (multipliers, lookup tables,
// packed weights, scratch rows) come from Context.Alloc through allocSlice
// and allocRows; slices holding pointers are made with make after
// Context.Reserve (makeSlice); the state struct itself is covered by a
// fixed per-node reserve. Prepare can run again when input shapes change,
// so it must be idempotent: it reuses n.State and allocates afresh.
//
// Eval must not allocate for static shapes (tests of the interpreter and
// of the kernels check zero allocations per Invoke with
// testing.AllocsPerRun), must not block, and writes only its outputs,
// variable tensors and its own state; only Dynamic tensors may be resized.
// The callback heavy kernels hand to Context.Parallel is a method value
// stored in their state at Prepare, so calling it makes no closure. Errors
// name the node (Node.Errorf).
//
// n.State belongs to the node's kernel: only its Prepare sets it, only its
// Eval and Reset read it, and what it points to (including Alloc'ed
// buffers) lives as long as the model. Kernels read options from the typed
// Node.Opts; no kernel sees the raw flatbuffer tables.
//
// Weights are packed once. CONV_2D and FULLY_CONNECTED pack a constant
// filter at Prepare into blocks of four output channels interleaved along
// depth (dense_gemm.go), so the dot-product loop reads one contiguous
// stream per four channels; the packed copy belongs to the node's state
// and is counted in the model's memory. A filter that is not constant is
// packed at every Eval into the same buffer. The integer paths of these
// kernels and of DEPTHWISE_CONV_2D and TRANSPOSE_CONV share one
// quantisation prepare (prepareQuant in quant_conv.go).
//
// The inner loops have a portable Go version, always built and tested, and
// assembly versions chosen once at start-up from the CPU's features
// (golang.org/x/sys/cpu, bestPath: AVX2, AVX-512 with VNNI, NEON, SDOT);
// each is tested against the portable loop on every path the machine can
// run, and the purego build tag leaves only the portable loops:
//
//	CONV_2D            four output pixels per step (conv.go quad): windows
//	                   inside the image horizontally are read in place
//	                   (filter rows above or below skipped, int8 adding
//	                   their zero-point sums), left and right border
//	                   windows copied (im2col); 4 rows x 16 channels per
//	                   kernel call (conv_gemm_*.s: int8 on VNNI, NEON and
//	                   SDOT, float on AVX2, AVX-512, NEON and SDOT); other
//	                   cases and paths one pixel (dense_gemm_*.s)
//	DEPTHWISE_CONV_2D  multiplier 1, int8/float32: one call per run of
//	                   pixels sharing the same taps, sums kept in registers,
//	                   requantized or clamped before the store (dw_kernel_*.s)
//	                   int16x8: one tap over the channels in exact int32
//	                   sums, widened before requantization (dw_mac16_*.s)
//	FULLY_CONNECTED    one row against the packed filter (dense_gemm_*.s)
//	int16 activations  FULLY_CONNECTED, CONV_2D one pixel, BATCH_MATMUL:
//	                   int8 (or small int16) weights in pairs, exact int32
//	                   chunks added into int64 sums (dense_gemm16_*.s)
//	BATCH_MATMUL       rhs packed as FULLY_CONNECTED's filter, rows of lhs
//	                   on its kernels; an input rhs packed every Eval
//	requantization     int32 -> int8/uint8/int16 per channel (requant_*.s)
//	ADD/SUB int8/uint8 same shapes, TFLite's rescale in lanes
//	                   (elementwise_add8_*.s)
//	hybrid inputs      run-time float -> int8 quantisation (quant_float_*.s)
//
// Integer results are bit-identical on every path; float results may
// differ in the last bits where a path fuses multiply and add.
package ops
