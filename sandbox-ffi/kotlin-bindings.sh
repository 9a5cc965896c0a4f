#!/usr/bin/env bash
# The Kotlin bindings of a docksandbox-ffi library, compiled into a jar once per interface:
#   sandbox-ffi/kotlin-bindings.sh LIBRARY UNIFFI_BINDGEN   -> prints the jar's path
# The jar is cached under $CARGO_TARGET_DIR/kotlin-bindings/<sha256 of the generated source>/,
# so the FFI tests, README's Kotlin blocks (scripts/run-snippets.sh) and the benchmark's
# Kotlin peer (bench/setup-ffi-kotlin.sh) compile it once between them (kotlinc takes ~20 s),
# and again only when the interface changes. Needs kotlinc and CLASSPATH from env.sh.
set -euo pipefail
lib="$1"; bindgen="$2"
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${CARGO_TARGET_DIR:-$root/target}/kotlin-bindings"
src="$(mktemp -d)"; trap 'rm -rf "$src"' EXIT
"$bindgen" generate --library "$lib" --language kotlin --out-dir "$src" >/dev/null 2>&1 \
  || { echo "uniffi-bindgen could not generate Kotlin from $lib" >&2; exit 1; }
key="$(find "$src" -name '*.kt' -print0 | sort -z | xargs -0 cat | sha256sum | cut -c1-16)"
jar="$cache/$key/docksandbox.jar"
if [ ! -f "$jar" ]; then
  mkdir -p "$cache/$key"
  tmp="$cache/$key/partial-$$.jar"   # kotlinc writes a jar only to a name ending in .jar
  kotlinc -nowarn -Werror -d "$tmp" -classpath "${CLASSPATH:-}" $(find "$src" -name '*.kt') >&2
  [ -f "$tmp" ] || { echo "kotlinc did not produce the bindings jar" >&2; exit 1; }
  mv -f "$tmp" "$jar"
fi
echo "$jar"
