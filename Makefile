# axle — build, test and run. `make help` lists the targets.

GO       ?= go
PKG      := github.com/axle-edge/axle
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
BUILD    := CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)'
GOBIN    := $(shell $(GO) env GOPATH)/bin
STATICCHECK_VERSION := v0.7.0
# Cross targets: GOOS/GOARCH[/GOARM]
TARGETS  := linux/amd64 linux/arm64 linux/arm/7 linux/arm/6 linux/386
FUZZTIME ?= 30s

.PHONY: help build cross test test-deps lint bench run model clean fuzz conformance

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

run: build ## the demo: embedded broker, simulated pump, live scores (Ctrl-C stops)
	./bin/axle demo $(ARGS)

model: ## regenerate the embedded demo model from its seed
	$(GO) run ./models/demomodel/cmd/gen -out models/demomodel/demo.tflite

test-deps: ## install what the tests need and this machine lacks (Mosquitto, staticcheck)
	@if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then \
	  echo "make: Mosquitto is missing; installing it with apt-get (the tests start their own broker on a free port)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto mosquitto-clients >/dev/null; \
	  $$SUDO systemctl disable --now mosquitto >/dev/null 2>&1 || true; \
	fi
	@if [ ! -x $(GOBIN)/staticcheck ]; then \
	  echo "make: staticcheck is missing; installing $(STATICCHECK_VERSION) with go install"; \
	  GOFLAGS= $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION); \
	fi

lint: test-deps ## gofmt, go vet, staticcheck, and the cross builds must be clean
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GOBIN)/staticcheck ./...

test: test-deps lint ## everything: lint, race tests, conformance, short fuzzing, cross builds
	$(GO) test -race -timeout 20m ./...
	$(MAKE) --no-print-directory conformance
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME)
	$(MAKE) --no-print-directory cross

conformance: ## the TFLite conformance corpus summary (needs AXLE_CONFORMANCE_DIR)
	@if [ -z "$$AXLE_CONFORMANCE_DIR" ]; then echo "conformance: AXLE_CONFORMANCE_DIR is not set; skipped"; exit 0; fi; \
	out=$$(mktemp); $(GO) test -count=1 -run '^TestConformance$$' -v ./models/tflite >$$out 2>&1; rc=$$?; \
	if [ $$rc -ne 0 ]; then cat $$out; else grep '^conformance:' $$out; fi; rm -f $$out; exit $$rc

fuzz: ## run every fuzz target briefly (FUZZTIME for the model loader, 10s for the others)
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

bench: ## benchmarks (numbers go to docs/benchmarks.md)
	$(GO) test -run='^$$' -bench=. -benchmem ./...

clean:
	rm -rf bin dist
