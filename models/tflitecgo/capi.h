// C helpers of package tflitecgo (defined in capi.c).
#ifndef AXLE_TFLITECGO_CAPI_H
#define AXLE_TFLITECGO_CAPI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include "tensorflow/lite/c/c_api.h"
#include "tensorflow/lite/c/c_api_experimental.h"
#include "tensorflow/lite/c/common.h"

// The TFLite C functions axle calls, each available as ax_<name> once
// axle_tflite_open succeeded.
// AXLE_FNS(R, V): R for functions with a result, V for void ones:
// (result type, name, parameters, arguments).
#define AXLE_FNS(R, V) \
	R(const char*, TfLiteVersion, (void), ()) \
	R(TfLiteModel*, TfLiteModelCreateWithErrorReporter, (const void* d, size_t n, void (*r)(void*, const char*, va_list), void* u), (d, n, r, u)) \
	V(TfLiteModelDelete, (TfLiteModel* m), (m)) \
	R(TfLiteInterpreterOptions*, TfLiteInterpreterOptionsCreate, (void), ()) \
	V(TfLiteInterpreterOptionsDelete, (TfLiteInterpreterOptions* o), (o)) \
	V(TfLiteInterpreterOptionsSetNumThreads, (TfLiteInterpreterOptions* o, int32_t n), (o, n)) \
	V(TfLiteInterpreterOptionsAddDelegate, (TfLiteInterpreterOptions* o, TfLiteOpaqueDelegate* d), (o, d)) \
	V(TfLiteInterpreterOptionsSetErrorReporter, (TfLiteInterpreterOptions* o, void (*r)(void*, const char*, va_list), void* u), (o, r, u)) \
	R(TfLiteStatus, TfLiteInterpreterOptionsEnableCancellation, (TfLiteInterpreterOptions* o, bool e), (o, e)) \
	R(TfLiteInterpreter*, TfLiteInterpreterCreate, (const TfLiteModel* m, const TfLiteInterpreterOptions* o), (m, o)) \
	V(TfLiteInterpreterDelete, (TfLiteInterpreter* i), (i)) \
	R(int32_t, TfLiteInterpreterGetInputTensorCount, (const TfLiteInterpreter* i), (i)) \
	R(TfLiteTensor*, TfLiteInterpreterGetInputTensor, (const TfLiteInterpreter* i, int32_t k), (i, k)) \
	R(TfLiteStatus, TfLiteInterpreterResizeInputTensor, (TfLiteInterpreter* i, int32_t k, const int* d, int32_t n), (i, k, d, n)) \
	R(TfLiteStatus, TfLiteInterpreterAllocateTensors, (TfLiteInterpreter* i), (i)) \
	R(TfLiteStatus, TfLiteInterpreterInvoke, (TfLiteInterpreter* i), (i)) \
	R(int32_t, TfLiteInterpreterGetOutputTensorCount, (const TfLiteInterpreter* i), (i)) \
	R(const TfLiteTensor*, TfLiteInterpreterGetOutputTensor, (const TfLiteInterpreter* i, int32_t k), (i, k)) \
	R(TfLiteStatus, TfLiteInterpreterCancel, (const TfLiteInterpreter* i), (i)) \
	R(TfLiteStatus, TfLiteInterpreterResetVariableTensors, (TfLiteInterpreter* i), (i)) \
	R(int32_t, TfLiteInterpreterGetInputTensorIndex, (const TfLiteInterpreter* i, int32_t k), (i, k)) \
	R(int32_t, TfLiteInterpreterGetOutputTensorIndex, (const TfLiteInterpreter* i, int32_t k), (i, k)) \
	R(TfLiteType, TfLiteTensorType, (const TfLiteTensor* t), (t)) \
	R(int32_t, TfLiteTensorNumDims, (const TfLiteTensor* t), (t)) \
	R(int32_t, TfLiteTensorDim, (const TfLiteTensor* t, int32_t k), (t, k)) \
	R(size_t, TfLiteTensorByteSize, (const TfLiteTensor* t), (t)) \
	R(void*, TfLiteTensorData, (const TfLiteTensor* t), (t)) \
	R(const char*, TfLiteTensorName, (const TfLiteTensor* t), (t))

// The signature runner API (c_api_experimental.h in 2.14) is optional:
// a library without it still runs subgraph 0, and Signatures/Signature
// say what is missing. Call these only when axle_has_signatures().
#define AXLE_SIG_FNS(R, V) \
	R(int32_t, TfLiteInterpreterGetSignatureCount, (const TfLiteInterpreter* i), (i)) \
	R(const char*, TfLiteInterpreterGetSignatureKey, (const TfLiteInterpreter* i, int32_t k), (i, k)) \
	R(TfLiteSignatureRunner*, TfLiteInterpreterGetSignatureRunner, (const TfLiteInterpreter* i, const char* key), (i, key)) \
	R(size_t, TfLiteSignatureRunnerGetInputCount, (const TfLiteSignatureRunner* s), (s)) \
	R(const char*, TfLiteSignatureRunnerGetInputName, (const TfLiteSignatureRunner* s, int32_t k), (s, k)) \
	R(TfLiteStatus, TfLiteSignatureRunnerResizeInputTensor, (TfLiteSignatureRunner* s, const char* name, const int* d, int32_t n), (s, name, d, n)) \
	R(TfLiteStatus, TfLiteSignatureRunnerAllocateTensors, (TfLiteSignatureRunner* s), (s)) \
	R(TfLiteTensor*, TfLiteSignatureRunnerGetInputTensor, (TfLiteSignatureRunner* s, const char* name), (s, name)) \
	R(TfLiteStatus, TfLiteSignatureRunnerInvoke, (TfLiteSignatureRunner* s), (s)) \
	R(size_t, TfLiteSignatureRunnerGetOutputCount, (const TfLiteSignatureRunner* s), (s)) \
	R(const char*, TfLiteSignatureRunnerGetOutputName, (const TfLiteSignatureRunner* s, int32_t k), (s, k)) \
	R(const TfLiteTensor*, TfLiteSignatureRunnerGetOutputTensor, (const TfLiteSignatureRunner* s, const char* name), (s, name)) \
	V(TfLiteSignatureRunnerDelete, (TfLiteSignatureRunner* s), (s))

#define AXLE_DECL_R(ret, name, params, args) ret ax_##name params;
#define AXLE_DECL_V(name, params, args) void ax_##name params;
AXLE_FNS(AXLE_DECL_R, AXLE_DECL_V)
AXLE_SIG_FNS(AXLE_DECL_R, AXLE_DECL_V)

// axle_missing_signature_fn is NULL when the loaded library has the whole
// signature runner API, else the name of the first function it lacks.
const char* axle_missing_signature_fn(void);

// axle_tflite_open loads the library at path (once per process); non-zero
// with the reason in err when it cannot.
int axle_tflite_open(const char* path, char* err, size_t errlen);

// XNNPACK from the loaded library; NULL when it lacks XNNPACK or the
// delegate cannot be created.
TfLiteDelegate* axle_xnnpack_create(int32_t threads);
void axle_xnnpack_delete(TfLiteDelegate* d);

// axleTFLiteReport is exported from Go (capi.go).
extern void axleTFLiteReport(uintptr_t handle, char* msg);

TfLiteModel* axle_model_create(const void* data, size_t n, uintptr_t h);
void axle_options_reporter(TfLiteInterpreterOptions* o, uintptr_t h);
int axle_quant(const TfLiteTensor* t, const float** scale, const int32_t** zp, int* axis);

// External delegate plugins (TFLite's external delegate ABI) by path.
TfLiteDelegate* axle_external_create(const char* path, char** keys, char** values, size_t n, void** lib, char* err, size_t errlen);
void axle_external_delete(TfLiteDelegate* d, void* lib);

#endif
