//go:build tflite

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "capi.h"

static void axle_reporter(void* user, const char* format, va_list args) {
	char buf[1024];
	vsnprintf(buf, sizeof buf, format, args);
	axleTFLiteReport((uintptr_t)user, buf);
}

TfLiteModel* axle_model_create(const void* data, size_t n, uintptr_t h) {
	return TfLiteModelCreateWithErrorReporter(data, n, axle_reporter, (void*)h);
}

void axle_options_reporter(TfLiteInterpreterOptions* o, uintptr_t h) {
	TfLiteInterpreterOptionsSetErrorReporter(o, axle_reporter, (void*)h);
}

// axle_quant returns the number of affine quantization scales of t and
// points scale, zp and axis at them; 0 when t is not quantized.
int axle_quant(const TfLiteTensor* t, const float** scale, const int32_t** zp, int* axis) {
	if (t->quantization.type != kTfLiteAffineQuantization || t->quantization.params == NULL) {
		return 0;
	}
	const TfLiteAffineQuantization* q = (const TfLiteAffineQuantization*)t->quantization.params;
	if (q->scale == NULL || q->zero_point == NULL || q->scale->size != q->zero_point->size) {
		return 0;
	}
	*scale = q->scale->data;
	*zp = q->zero_point->data;
	*axis = q->quantized_dimension;
	return q->scale->size;
}

// What the plugin reports while it is created (per thread: loads may run
// on several goroutines).
static __thread char axle_plugin_said[512];

static void axle_plugin_report(const char* msg) {
	snprintf(axle_plugin_said, sizeof axle_plugin_said, "%s", msg);
}

typedef TfLiteDelegate* (*axle_plugin_create)(char**, char**, size_t, void (*)(const char*));
typedef void (*axle_plugin_destroy)(TfLiteDelegate*);

// axle_external_create loads a delegate plugin the way TFLite's external
// delegate does: dlopen the library and call its
// tflite_plugin_create_delegate with the options. On failure it returns
// NULL with the reason in err.
TfLiteDelegate* axle_external_create(const char* path, char** keys, char** values, size_t n, void** lib, char* err, size_t errlen) {
	*lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (*lib == NULL) {
		snprintf(err, errlen, "%s", dlerror());
		return NULL;
	}
	axle_plugin_create create = (axle_plugin_create)dlsym(*lib, "tflite_plugin_create_delegate");
	axle_plugin_destroy destroy = (axle_plugin_destroy)dlsym(*lib, "tflite_plugin_destroy_delegate");
	if (create == NULL || destroy == NULL) {
		snprintf(err, errlen, "%s is not a TFLite delegate plugin (no tflite_plugin_create_delegate/tflite_plugin_destroy_delegate)", path);
		dlclose(*lib);
		*lib = NULL;
		return NULL;
	}
	axle_plugin_said[0] = 0;
	TfLiteDelegate* d = create(keys, values, n, axle_plugin_report);
	if (d == NULL) {
		snprintf(err, errlen, "%s: tflite_plugin_create_delegate returned no delegate%s%s", path,
			axle_plugin_said[0] ? ": " : "", axle_plugin_said);
		dlclose(*lib);
		*lib = NULL;
	}
	return d;
}

void axle_external_delete(TfLiteDelegate* d, void* lib) {
	axle_plugin_destroy destroy = (axle_plugin_destroy)dlsym(lib, "tflite_plugin_destroy_delegate");
	if (destroy != NULL) {
		destroy(d);
	}
	dlclose(lib);
}
