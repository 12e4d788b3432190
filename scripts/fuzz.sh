#!/usr/bin/env bash
# Runs every native Go fuzz target in the module for a short time.
# FUZZTIME (default 30s) applies to FuzzLoad, the model loader; the other
# targets get FUZZTIME_OTHER (default 10s).
#
# A target fails the run when the fuzzer finds something: it writes the
# failing input under testdata/fuzz/<target>/ and says so. Go 1.26's fuzz
# coordinator can also end a clean run with a bare "context deadline
# exceeded" at the -fuzztime boundary (go.dev/issue/75804, fixed in Go
# 1.27); such a run wrote no input, so it is reported and the target's
# corpus is replayed as a plain test instead of failing the build.
set -euo pipefail
cd "$(dirname "$0")/.."
main=${FUZZTIME:-30s}
other=${FUZZTIME_OTHER:-10s}
git ls-files '*_test.go' | xargs grep -lE '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' | while read -r file; do
  pkg=./$(dirname "$file")
  # Targets behind the tflite tag need the TFLite C library; difftest's
  # untagged FuzzGenerated covers the generator here.
  if grep -q '^//go:build tflite' "$file"; then echo "fuzz: skipping $file (build tag tflite)"; continue; fi
  for target in $(grep -oE '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //'); do
    t=$other
    [ "$target" = FuzzLoad ] && t=$main
    echo "fuzz: $target in $pkg for $t"
    out=$(mktemp)
    if go test -run='^$' -fuzz="^${target}\$" -fuzztime="$t" "$pkg" >"$out" 2>&1; then
      grep -vE '^fuzz: elapsed' "$out" || true
      rm -f "$out"
      continue
    fi
    grep -vE '^fuzz: elapsed' "$out" || true
    if grep -q 'context deadline exceeded' "$out" && ! grep -qE 'Failing input written to|panic:' "$out"; then
      rm -f "$out"
      echo "fuzz: $target ended with Go's fuzztime shutdown race (go.dev/issue/75804) and no failing input; replaying its corpus"
      go test -run="^${target}\$" "$pkg"
      continue
    fi
    rm -f "$out"
    echo "fuzz: $target found a failing input (see above and $pkg/testdata/fuzz/$target/)"
    exit 1
  done
done
