// Package tflitecgo runs models on the TensorFlow Lite C library
// (libtensorflowlite_c) with its delegates. It is compiled only with
// -tags tflite; the default axle binary does not contain it
// (models/runtimes picks it when present). The library is opened with
// dlopen at the first load (Runtime.Library, default DefaultLibrary), so
// a tagged binary starts without it and Load then fails with
// models.ErrUnavailable, on which models/runtimes falls back to the
// pure-Go interpreter.
//
//	dlopen libtensorflowlite_c (once) ─► model bytes ─► copy in C memory
//	   ─► TfLiteModel (flatbuffer verified)
//	   ─► TfLiteInterpreter (threads, error reporter, cancellation, delegate)
//	   ─► AllocateTensors ─► Input(i)/Output(i) alias the C tensors
//	   ─► Invoke(ctx): ctx cancellation calls TfLiteInterpreterCancel
//	   ─► Signature(key): TfLiteSignatureRunner of any subgraph, same
//	      Input/Output/Invoke(ctx); freed with the Model
//
// Delegates (models.Options.Delegate): "none", "xnnpack", "auto" (xnnpack
// if it starts, else none), "edgetpu" (build tags tflite,edgetpu; links
// libedgetpu through github.com/mattn/go-tflite/delegates/edgetpu), "gpu"
// (tags tflite,gpu; links libtensorflowlite_gpu_delegate) and
// "external:PATH;key=value..." (a TFLite external-delegate plugin loaded
// with dlopen, the same ABI as TFLite's external delegate). Every delegate
// is a github.com/mattn/go-tflite/delegates.Delegater. Nodes a delegate
// does not take stay on TFLite's builtin CPU kernels.
//
// The model and interpreter calls are this package's own cgo rather than
// go-tflite's Interpreter: go-tflite v1.0.4 links the library (no start
// without it), formats reporter messages with asprintf instead of
// vasprintf (garbled text, undefined behaviour) and never frees the C
// copy of the model, and its xnnpack and external packages link libraries
// a CMake build of libtensorflowlite_c does not produce.
package tflitecgo
