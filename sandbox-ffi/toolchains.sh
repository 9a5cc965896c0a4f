#!/usr/bin/env bash
# Installs what the FFI tests run the generated bindings with, when missing (idempotent):
# Debian's ruby + ruby-ffi, JNA (libjna-java), a JRE, clang (the Swift header and modulemap
# check), and kotlinc from the npm registry (package kotlin-compiler, which bundles the
# kotlinx-coroutines jar) under target/toolchains/kotlin. `. sandbox-ffi/env.sh` then puts
# them on PATH and CLASSPATH.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
need=()
command -v ruby >/dev/null 2>&1 || need+=(ruby)
ruby -e 'require "ffi"' >/dev/null 2>&1 || need+=(ruby-ffi)
[ -f /usr/share/java/jna.jar ] || need+=(libjna-java)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
command -v clang >/dev/null 2>&1 || need+=(clang)
command -v npm >/dev/null 2>&1 || need+=(npm)
"$root/scripts/apt-install.sh" ${need[@]+"${need[@]}"}
kotlin="$root/target/toolchains/kotlin"
if [ ! -x "$kotlin/node_modules/kotlin-compiler/bin/kotlinc" ]; then
  echo "installing kotlinc (npm: kotlin-compiler) under target/toolchains/kotlin"
  npm install --prefix "$kotlin" --no-audit --no-fund --loglevel=error kotlin-compiler@2.4.20 >/dev/null
fi
