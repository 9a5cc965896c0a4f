#!/usr/bin/env bash
# The FFI crate's tests: toolchains installed when missing, then `cargo test -p docksandbox-ffi`
# (the Kotlin, Ruby and Python scripts against the real engine; the Swift header check).
set -euo pipefail
cd "$(dirname "$0")/.."
sandbox-ffi/toolchains.sh
. sandbox-ffi/env.sh
cargo test -p docksandbox-ffi "$@"
