#!/usr/bin/env bash
# Builds the Kotlin peer of docksandbox-bench's B15: the FFI library (the bench's profile:
# `release` unless given `debug`), its Kotlin bindings and bench/peers/ffi_kotlin_driver.kt,
# compiled into target/bench-ffi/driver.jar. Prints the `java` command line's class path and
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
if [ ! -f "$out/driver.jar" ] || [ "$lib" -nt "$out/driver.jar" ] || [ bench/peers/ffi_kotlin_driver.kt -nt "$out/driver.jar" ]; then
  rm -rf "$out" && mkdir -p "$out/src"
  "$target/$profile/uniffi-bindgen" generate --library "$lib" --language kotlin --out-dir "$out/src" >/dev/null 2>&1
  cp "$lib" "$out/"
  kotlinc -nowarn -d "$out/driver.jar" -classpath "$CLASSPATH" \
    $(find "$out/src" -name '*.kt') bench/peers/ffi_kotlin_driver.kt 2>&1 | grep -v '^warning' >&2 || true
  [ -f "$out/driver.jar" ] || { echo "kotlinc did not produce $out/driver.jar" >&2; exit 1; }
fi
kotlin_lib="$(dirname "$(command -v kotlinc)")/../lib"
printf '%s\t%s\n' "$out/driver.jar:$CLASSPATH:$kotlin_lib/kotlin-stdlib.jar" "$out"
