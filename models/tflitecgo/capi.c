//go:build tflite

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "capi.h"
#include "tensorflow/lite/delegates/xnnpack/xnnpack_delegate.h"

// The TFLite C library is opened with dlopen at the first Load, so that
// the tagged binary starts without it and falls back to the pure-Go
// runtime. Its functions are called through the pointers below; the
// ax_ wrappers (AXLE_FNS in capi.h) give cgo plain functions of the same
// signatures.
static pthread_mutex_t axle_mu = PTHREAD_MUTEX_INITIALIZER;

#define AXLE_PTR_R(ret, name, params, args) static __typeof__(name)* p_##name;
#define AXLE_PTR_V(name, params, args) static __typeof__(name)* p_##name;
AXLE_FNS(AXLE_PTR_R, AXLE_PTR_V)
AXLE_SIG_FNS(AXLE_PTR_R, AXLE_PTR_V)

#define AXLE_WRAP_R(ret, name, params, args) ret ax_##name params { return p_##name args; }
#define AXLE_WRAP_V(name, params, args) void ax_##name params { p_##name args; }
AXLE_FNS(AXLE_WRAP_R, AXLE_WRAP_V)
AXLE_SIG_FNS(AXLE_WRAP_R, AXLE_WRAP_V)

// The first signature function the library lacks; NULL when it has all.
static const char* axle_sig_missing = "TfLiteInterpreterGetSignatureCount";

const char* axle_missing_signature_fn(void) {
	pthread_mutex_lock(&axle_mu);
	const char* s = axle_sig_missing;
	pthread_mutex_unlock(&axle_mu);
	return s;
}

// XNNPACK is optional: a library built without it lacks these.
static __typeof__(TfLiteXNNPackDelegateOptionsDefault)* p_xnn_default;
static __typeof__(TfLiteXNNPackDelegateCreate)* p_xnn_create;
static __typeof__(TfLiteXNNPackDelegateDelete)* p_xnn_delete;

static void* axle_lib;
static char axle_lib_path[1024];

int axle_tflite_open(const char* path, char* err, size_t errlen) {
	int rc = 0;
	pthread_mutex_lock(&axle_mu);
	if (axle_lib != NULL) {
		if (strcmp(path, axle_lib_path) != 0) {
			snprintf(err, errlen, "another TFLite C library (%s) is already loaded in this process", axle_lib_path);
			rc = -1;
		}
		goto out;
	}
	if (strlen(path) >= sizeof axle_lib_path) {
		snprintf(err, errlen, "library path longer than %zu bytes", sizeof axle_lib_path - 1);
		rc = -1;
		goto out;
	}
	// RTLD_GLOBAL: delegate plugins loaded later may expect TFLite's symbols.
	void* h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
	if (h == NULL) {
		snprintf(err, errlen, "%s", dlerror());
		rc = -1;
		goto out;
	}
#define AXLE_SYM(name) \
	p_##name = (__typeof__(name)*)dlsym(h, #name); \
	if (p_##name == NULL) { \
		snprintf(err, errlen, "%s has no %s: not a TFLite 2.14 or later C library", path, #name); \
		dlclose(h); \
		rc = -1; \
		goto out; \
	}
#define AXLE_SYM_R(ret, name, params, args) AXLE_SYM(name)
#define AXLE_SYM_V(name, params, args) AXLE_SYM(name)
	AXLE_FNS(AXLE_SYM_R, AXLE_SYM_V)
	p_xnn_default = (__typeof__(TfLiteXNNPackDelegateOptionsDefault)*)dlsym(h, "TfLiteXNNPackDelegateOptionsDefault");
	p_xnn_create = (__typeof__(TfLiteXNNPackDelegateCreate)*)dlsym(h, "TfLiteXNNPackDelegateCreate");
	p_xnn_delete = (__typeof__(TfLiteXNNPackDelegateDelete)*)dlsym(h, "TfLiteXNNPackDelegateDelete");
	axle_sig_missing = NULL;
#define AXLE_SIG_SYM(name) \
	p_##name = (__typeof__(name)*)dlsym(h, #name); \
	if (p_##name == NULL && axle_sig_missing == NULL) { \
		axle_sig_missing = #name; \
	}
#define AXLE_SIG_SYM_R(ret, name, params, args) AXLE_SIG_SYM(name)
#define AXLE_SIG_SYM_V(name, params, args) AXLE_SIG_SYM(name)
	AXLE_SIG_FNS(AXLE_SIG_SYM_R, AXLE_SIG_SYM_V)
	axle_lib = h;
	snprintf(axle_lib_path, sizeof axle_lib_path, "%s", path);
out:
	pthread_mutex_unlock(&axle_mu);
	return rc;
}

TfLiteDelegate* axle_xnnpack_create(int32_t threads) {
	if (p_xnn_default == NULL || p_xnn_create == NULL || p_xnn_delete == NULL) {
		return NULL;
	}
	TfLiteXNNPackDelegateOptions o = p_xnn_default();
	o.num_threads = threads;
	return p_xnn_create(&o);
}

void axle_xnnpack_delete(TfLiteDelegate* d) { p_xnn_delete(d); }

static void axle_reporter(void* user, const char* format, va_list args) {
	char buf[1024];
	vsnprintf(buf, sizeof buf, format, args);
	axleTFLiteReport((uintptr_t)user, buf);
}

TfLiteModel* axle_model_create(const void* data, size_t n, uintptr_t h) {
	return p_TfLiteModelCreateWithErrorReporter(data, n, axle_reporter, (void*)h);
}

void axle_options_reporter(TfLiteInterpreterOptions* o, uintptr_t h) {
	p_TfLiteInterpreterOptionsSetErrorReporter(o, axle_reporter, (void*)h);
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
