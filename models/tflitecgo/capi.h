// C helpers of package tflitecgo (defined in capi.c).
#ifndef AXLE_TFLITECGO_CAPI_H
#define AXLE_TFLITECGO_CAPI_H

#include <stdint.h>
#include <stdlib.h>
#include "tensorflow/lite/c/c_api.h"
#include "tensorflow/lite/c/c_api_experimental.h"
#include "tensorflow/lite/c/common.h"

// axleTFLiteReport is exported from Go (capi.go).
extern void axleTFLiteReport(uintptr_t handle, char* msg);

TfLiteModel* axle_model_create(const void* data, size_t n, uintptr_t h);
void axle_options_reporter(TfLiteInterpreterOptions* o, uintptr_t h);
int axle_quant(const TfLiteTensor* t, const float** scale, const int32_t** zp, int* axis);

// External delegate plugins (TFLite's external delegate ABI) by path.
TfLiteDelegate* axle_external_create(const char* path, char** keys, char** values, size_t n, void** lib, char* err, size_t errlen);
void axle_external_delete(TfLiteDelegate* d, void* lib);

#endif
