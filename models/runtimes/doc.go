// Package runtimes is the table of model runtimes a binary carries and the
// one place that picks a runtime and delegate for a model, with fallback:
//
//	Choice{runtime, delegate}  (config key, bundle manifest or CLI flag)
//	   │
//	   ├─ go ──────────────────────────────► pure-Go interpreter
//	   └─ tflite / auto ─► C runtime in this binary? (-tags tflite)
//	        no ─────────────────────────────► pure-Go, Used.Fallback says why
//	        yes ─► load with the delegate
//	             ok ────────────────────────► TFLite C (+ delegate)
//	             delegate failed ───────────► pure-Go, Used.Fallback says why
//
// The default build fills the table with the pure-Go interpreter only; a
// build with -tags tflite adds models/tflitecgo through a file compiled only
// under that tag, so the default binary stays free of cgo.
package runtimes
