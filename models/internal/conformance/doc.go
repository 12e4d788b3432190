// Package conformance reads the TFLite conformance corpus
// ($AXLE_CONFORMANCE_DIR, format in the corpus README) and judges a
// runtime's outputs against its goldens, for the conformance tests of
// both runtimes (the pure-Go interpreter in models/tflite and the TFLite C
// library in models/tflitecgo):
//
//	$AXLE_CONFORMANCE_DIR/<suite>/<case>/case.json
//	        │ Cases, Load
//	        ▼
//	     *Case ──Run(Runner)──▶ inputs filled, Invoke, outputs copied
//	        │                              │
//	        ▼                              ▼
//	  CheckOutputs: argmax / |got-golden| <= tolerance, per output
//	        │
//	        ▼
//	  Known: the list of expected failures; fails on new failures and on
//	  listed cases that pass, so the list only shrinks
//
// It is imported only by _test.go files.
package conformance
