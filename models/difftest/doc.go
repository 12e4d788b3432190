// Package difftest checks the pure-Go TFLite interpreter (models/tflite)
// against TensorFlow Lite's own C library on generated models.
//
//	seed ──► Generate(op, type, seed) ──► Case{.tflite bytes, random inputs}
//	                                        │
//	            ┌───────────────────────────┴──────────────────────────┐
//	            ▼                                                      ▼
//	  RunGo (models/tflite)                            RunTFLite (libtensorflowlite_c,
//	            │                                       build tag tflite, 1 thread,
//	            │                                       builtin kernels)
//	            └──────────────► Compare ◄─────────────────────────────┘
//	                integer outputs bit-exact, float outputs within tolerance
//
// The generator builds single-op models for every op and type in
// Generators(), plus small multi-op chains, with random shapes, strides,
// paddings, dilations, activations and quantisation. Models TFLite refuses
// at Prepare are invalid combinations and are skipped, not counted.
//
// Cases checked against the library are kept in testdata/cases as the model
// plus a golden JSON with inputs and TFLite's outputs, so TestGoldens checks
// the interpreter without the library. cmd/difftest-goldens (tag tflite)
// regenerates them; docs/difftest.md lists known disagreements.
package difftest
