// Package tflite is axle's pure-Go TensorFlow Lite interpreter.
//
//	.tflite bytes
//	   │  parse: flatbuf.Root("TFL3"), schema version 3, every table,
//	   │  vector, string, index and buffer range checked; sizes charged
//	   ▼  against Options.MaxBytes before anything is allocated
//	subgraphs ─ tensors (shape, dtype, quantization, constant data in place
//	   │         when 16-byte aligned, else copied; variables get own memory)
//	   │      └ nodes (operator code + version → ops.Resolver kernel, or a
//	   │         load error naming op, version and node; builtin options
//	   ▼         decoded into the operator's typed struct, ops.DecodeOptions)
//	Prepare: each kernel validates and sets output shapes (nodes fed by
//	   │     dynamic tensors are deferred to Invoke); its tables, scratch
//	   │     and packed weights come from Context.Alloc/Reserve, charged
//	   │     before they exist, and its state struct from a per-node reserve
//	   ▼
//	memory plan: one 16-byte aligned arena per subgraph; tensor lifetimes
//	   │     [first use, last use], greedy largest-first placement, so
//	   │     tensors that are never live together share bytes; inputs and
//	   ▼     outputs live throughout
//	Invoke: for each node: ctx check → (deferred Prepare) → Eval
//
// String tensors keep TFLite's buffer layout (int32 count, int32 offsets,
// bytes; ops/strings.go): constants are checked at load and used in place,
// they take no arena bytes, and kernels writing strings size their Dynamic
// outputs with Context.ResizeBytes. Runner.Output returns that layout;
// string inputs cannot be written through Runner.Input.
//
// Subgraph 0 is prepared at Load; other subgraphs when a control-flow kernel
// or a Runner asks for them. Invoke allocates nothing for static models.
// Kernel panics are recovered and returned as ErrInternal, which always
// means a bug in axle.
package tflite
