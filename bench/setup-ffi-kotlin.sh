#!/usr/bin/env bash
# Builds the Kotlin peer of docksandbox-bench's B15: the FFI library (the bench's profile:
# `release` unless given `debug`), its Kotlin bindings (sandbox-ffi/kotlin-bindings.sh, cached)
# and bench/peers/ffi_kotlin_driver.kt, compiled into target/bench-ffi/<profile>/driver.jar. Prints the `java` command line's class path and
# library directory, tab-separated; fails (with the reason on stderr) when a toolchain is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-release}"
sandbox-ffi/toolchains.sh >&2
. sandbox-ffi/env.sh
if [ "$profile" = release ]; then cargo build -q --release -p docksandbox-ffi >&2; else cargo build -q -p docksandbox-ffi >&2; fi
target="${CARGO_TARGET_DIR:-$PWD/target}"
lib="$target/$profile/libdocksandbox_ffi.so"
out="$target/bench-ffi/$profile"
bindings="$(sandbox-ffi/kotlin-bindings.sh "$lib" "$target/$profile/uniffi-bindgen")"
if [ ! -f "$out/driver.jar" ] || [ "$bindings" -nt "$out/driver.jar" ] || [ bench/peers/ffi_kotlin_driver.kt -nt "$out/driver.jar" ]; then
  rm -rf "$out" && mkdir -p "$out"
  kotlinc -nowarn -d "$out/driver.jar" -classpath "$bindings:$CLASSPATH" \
    bench/peers/ffi_kotlin_driver.kt 2>&1 | grep -v '^warning' >&2 || true
  [ -f "$out/driver.jar" ] || { echo "kotlinc did not produce $out/driver.jar" >&2; exit 1; }
fi
cp "$lib" "$out/"
kotlin_lib="$(dirname "$(command -v kotlinc)")/../lib"
printf '%s\t%s\n' "$out/driver.jar:$bindings:$CLASSPATH:$kotlin_lib/kotlin-stdlib.jar" "$out"
