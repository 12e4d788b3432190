#!/usr/bin/env bash
# Runs every native Go fuzz target in the module for a short time.
# FUZZTIME (default 30s) applies to FuzzLoad, the model loader; the other
# targets get FUZZTIME_OTHER (default 10s).
set -euo pipefail
cd "$(dirname "$0")/.."
main=${FUZZTIME:-30s}
other=${FUZZTIME_OTHER:-10s}
git ls-files '*_test.go' | xargs grep -lE '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' | while read -r file; do
  pkg=./$(dirname "$file")
  for target in $(grep -oE '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //'); do
    t=$other
    [ "$target" = FuzzLoad ] && t=$main
    echo "fuzz: $target in $pkg for $t"
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="$t" "$pkg" 2>&1 | grep -vE '^fuzz: elapsed' || exit 1
  done
done
