# axle — build, test and run. `make help` lists the targets.

GO       ?= go
PKG      := github.com/axle-edge/axle
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
BUILD    := CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)'
GOBIN    := $(shell $(GO) env GOPATH)/bin
STATICCHECK_VERSION := v0.7.0
# Cross targets: GOOS/GOARCH[/GOARM]
TARGETS  := linux/amd64 linux/arm64 linux/arm/7 linux/arm/6 linux/arm/5 linux/386
FUZZTIME ?= 30s
# The other fuzz targets (over thirty) get FUZZTIME_OTHER each under make test.
FUZZTIME_OTHER ?= 5s

.PHONY: help build cross package image test test-deps lint check test-arm bench run model generate clean fuzz conformance build-tflite cross-tflite test-tflite bench-runtimes

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## static binary for this machine into bin/axle
	$(BUILD) -o bin/axle ./agent/cmd/axle

cross: ## static binaries for every gateway target into dist/
	@mkdir -p dist
	@for t in $(TARGETS); do \
	  os=$${t%%/*}; rest=$${t#*/}; arch=$${rest%%/*}; arm=""; name=$$os-$$arch; \
	  if [ "$$arch" = arm ]; then arm=$${rest#*/}; name=$$os-armv$$arm; fi; \
	  echo "build dist/axle-$$name"; \
	  GOOS=$$os GOARCH=$$arch GOARM=$$arm $(BUILD) -o dist/axle-$$name ./agent/cmd/axle || exit 1; \
	done
	@cp dist/axle-linux-armv7 dist/axle-linux-arm 2>/dev/null || true

package: cross ## .deb and .rpm for amd64, arm64, armhf, armel into dist/ (nfpm)
	$(GO) run ./release/cmd/mkrelease package -version $(VERSION) -dist dist

image: cross ## multi-arch OCI image layout (linux/amd64, arm64, arm/v7) into dist/oci, no Docker daemon
	$(GO) run ./release/cmd/mkrelease image -version $(VERSION) -dist dist -out dist/oci

run: build ## the demo: embedded broker, simulated pump, live scores (Ctrl-C stops)
	./bin/axle demo $(ARGS)

model: ## regenerate the embedded demo model from its seed
	$(GO) run ./models/demomodel/cmd/gen -out models/demomodel/demo.tflite

generate: ## rerun every go:generate (TFLITE_SCHEMA names a copy of TFLite's schema.fbs)
	$(GO) generate ./...

test-deps: ## install what the tests need and this machine lacks (Mosquitto, minisign, jq, qemu-user, chromium, staticcheck)
	@missing=""; \
	{ command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ]; } || missing="$$missing mosquitto mosquitto-clients"; \
	command -v minisign >/dev/null 2>&1 || missing="$$missing minisign"; \
	command -v jq >/dev/null 2>&1 || missing="$$missing jq"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v dpkg-deb >/dev/null 2>&1 || missing="$$missing dpkg"; \
	command -v qemu-aarch64 >/dev/null 2>&1 && command -v qemu-arm >/dev/null 2>&1 || missing="$$missing qemu-user"; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing with apt-get:$$missing (tests start their own broker on a free port; minisign and jq check signature interop; qemu-user runs the ARM unit tests; chromium renders the live page)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  $$SUDO systemctl disable --now mosquitto >/dev/null 2>&1 || true; \
	fi
	@if [ ! -x $(GOBIN)/staticcheck ]; then \
	  echo "make: staticcheck is missing; installing $(STATICCHECK_VERSION) with go install"; \
	  GOFLAGS= $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION); \
	fi

lint: ## gofmt, go mod tidy, go vet, staticcheck (installs nothing: run make test-deps first)
	@[ -x $(GOBIN)/staticcheck ] || { echo "lint: staticcheck is not installed; 'make test-deps' installs it"; exit 1; }
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) mod tidy -diff
	$(GO) vet ./...
	$(GOBIN)/staticcheck ./...

check: ## the inner loop: go vet and the short tests (about a minute)
	$(GO) vet ./...
	$(GO) test -short -timeout 5m ./...

test: test-deps lint ## everything: lint, race tests, conformance, ARM tests under qemu, short fuzzing, cross builds
	CI=$${CI:-true} $(GO) test -race -timeout 20m ./...
	@# The portable kernels alone, as a CPU without AVX2/NEON or a purego build runs them.
	$(GO) test -count=1 -tags purego ./models/tflite/...
	@# The issue's figure: 100 agents against one Mosquitto (-race runs 20).
	CI=$${CI:-true} AXLE_SCALE_DEVICES=100 $(GO) test -count=1 -timeout 5m -run '^TestFleetRolloutAtScale$$' ./agent/
	$(MAKE) --no-print-directory conformance
	$(MAKE) --no-print-directory test-arm
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME)
	$(MAKE) --no-print-directory cross
	$(MAKE) --no-print-directory package image
	AXLE_DIST=$(CURDIR)/dist $(GO) test -count=1 ./release

# The pure packages (interpreter and kernels, outbox, sensors, config) run
# as arm64, armv7 and armv6 binaries under qemu-user, so an alignment or
# 32-bit overflow bug fails here. The conformance corpus is left to the
# native run: under emulation it takes minutes per architecture.
ARM_PKGS := ./models/... ./agent/buffer/... ./agent/config/... ./agent/fleet/... ./agent/scoring/... ./sensors/... ./internal/...
test-arm: ## unit tests of the pure packages for linux/arm64 and linux/arm (v6, v7) under qemu-user
	@command -v qemu-aarch64 >/dev/null && command -v qemu-arm >/dev/null || { echo "test-arm: qemu-user is not installed; 'make test-deps' installs it"; exit 1; }
	AXLE_CONFORMANCE_DIR= AXLE_TEST_EXEC=qemu-aarch64 GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) test -count=1 -timeout 10m -exec qemu-aarch64 $(ARM_PKGS)
	AXLE_CONFORMANCE_DIR= AXLE_TEST_EXEC=qemu-arm GOOS=linux GOARCH=arm GOARM=7 CGO_ENABLED=0 $(GO) test -count=1 -timeout 10m -exec qemu-arm $(ARM_PKGS)
	AXLE_CONFORMANCE_DIR= AXLE_TEST_EXEC=qemu-arm GOOS=linux GOARCH=arm GOARM=6 CGO_ENABLED=0 $(GO) test -count=1 -timeout 10m -exec qemu-arm $(ARM_PKGS)

conformance: ## the TFLite conformance corpus summary (needs AXLE_CONFORMANCE_DIR)
	@if [ -z "$$AXLE_CONFORMANCE_DIR" ]; then echo "conformance: AXLE_CONFORMANCE_DIR is not set; skipped"; exit 0; fi; \
	out=$$(mktemp); $(GO) test -count=1 -run '^TestConformance$$' -v ./models/tflite >$$out 2>&1; rc=$$?; \
	if [ $$rc -ne 0 ]; then cat $$out; else grep '^conformance:' $$out; fi; rm -f $$out; exit $$rc

fuzz: ## run every fuzz target briefly (FUZZTIME for the model loader, FUZZTIME_OTHER for the others)
	FUZZTIME=$(FUZZTIME) FUZZTIME_OTHER=$(FUZZTIME_OTHER) scripts/fuzz.sh

bench: ## benchmarks (numbers go to docs/benchmarks.md)
	$(GO) test -run='^$$' -bench=. -benchmem ./...

# The cgo build with the TensorFlow Lite C runtime and its delegates
# (docs/delegates.md). AXLE_TFLITE_DIR names a libtensorflowlite_c build:
# include/ (needed to build) and lib/libtensorflowlite_c.so (opened with
# dlopen at run time; the RUNPATH points there). cross/tflite.sh checks it.
TFLITE_ENV = CGO_ENABLED=1 CGO_CFLAGS="-I$(AXLE_TFLITE_DIR)/include" CGO_LDFLAGS="-L$(AXLE_TFLITE_DIR)/lib -Wl,--enable-new-dtags,-rpath,$(AXLE_TFLITE_DIR)/lib"
TFLITE_PKGS := ./models/tflitecgo/... ./models/runtimes/...

build-tflite: ## bin/axle-tflite: axle with the TFLite C runtime for this machine (needs AXLE_TFLITE_DIR)
	cross/tflite.sh native bin/axle-tflite

cross-tflite: ## dist/axle-tflite-linux-{arm64,arm}: the cgo build with Debian's cross compilers (AXLE_TFLITE_DIR_ARM64/_ARM, default AXLE_TFLITE_DIR)
	AXLE_TFLITE_DIR=$${AXLE_TFLITE_DIR_ARM64:-$$AXLE_TFLITE_DIR} cross/tflite.sh linux/arm64 dist/axle-tflite-linux-arm64
	AXLE_TFLITE_DIR=$${AXLE_TFLITE_DIR_ARM:-$$AXLE_TFLITE_DIR} cross/tflite.sh linux/arm dist/axle-tflite-linux-arm

test-tflite: ## the real-library tests: tflitecgo, conformance through the C runtime, the demo on it (needs AXLE_TFLITE_DIR)
	@test -n "$$AXLE_TFLITE_DIR" || { echo "test-tflite: AXLE_TFLITE_DIR is not set: point it at a libtensorflowlite_c build (lib/ and include/)"; exit 1; }
	$(TFLITE_ENV) $(GO) test -tags tflite -count=1 -timeout 30m $(TFLITE_PKGS) ./agent/cmd/axle
	$(TFLITE_ENV) $(GO) test -tags tflite -count=1 -timeout 10m -run 'Runtime|TFLite|Library' ./agent

bench-runtimes: ## median µs per Invoke: pure Go vs TFLite builtin kernels vs TFLite+XNNPACK, one thread (needs AXLE_TFLITE_DIR)
	@test -n "$$AXLE_TFLITE_DIR" || { echo "bench-runtimes: AXLE_TFLITE_DIR is not set: point it at a libtensorflowlite_c build (lib/ and include/)"; exit 1; }
	$(TFLITE_ENV) AXLE_BENCH_RUNTIMES=1 $(GO) test -tags tflite -count=1 -timeout 60m -run '^TestBenchRuntimes$$' -v ./models/tflitecgo

clean:
	rm -rf bin dist
