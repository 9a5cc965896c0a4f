#!/usr/bin/env bash
# What both README commands need before anything else, installed or started when missing and
# left alone when present (idempotent):
#   - Rust (cargo): required; it cannot be installed from Debian's packages in a usable version,
#     so a missing one is an error naming rustup;
#   - Python 3 with venv, Node.js and npm (only with --all: the Python and Node packages' tests
#     and the benchmark's peers), from Debian's packages when missing; the FFI tests'
#     toolchains (sandbox-ffi/toolchains.sh: kotlinc, JNA, ruby-ffi, clang);
#   - Debian's docker.io and a running dockerd, the test images' tools (scripts/start-docker.sh).
#
#   scripts/setup.sh          # what the main job needs
#   scripts/setup.sh --all    # and what every test needs
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v cargo >/dev/null 2>&1; then
  for d in "$HOME/.cargo/bin" /usr/local/cargo/bin; do
    [ -x "$d/cargo" ] && export PATH="$d:$PATH" && break
  done
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "error: Rust (cargo) is needed: install it with rustup (https://rustup.rs: curl --proto '=https' -sSf https://sh.rustup.rs | sh), then run this again" >&2
  exit 1
fi

if [ "${1:-}" = "--all" ]; then
  need=()
  command -v python3 >/dev/null 2>&1 || need+=(python3)
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then need+=(python3-venv); fi
  command -v node >/dev/null 2>&1 || need+=(nodejs)
  command -v npm >/dev/null 2>&1 || need+=(npm)
  "$(dirname "$0")/apt-install.sh" ${need[@]+"${need[@]}"}
  # The FFI bindings' tests: kotlinc (npm), JNA, ruby + ruby-ffi, clang.
  "$here/../sandbox-ffi/toolchains.sh"
  # The scoped-docker tests run Python's testcontainers inside a sandbox (whose own network
  # reaches only the test internet): fetched here once, copied into the test's workspace.
  deps="$here/../target/pydeps/testcontainers"
  if [ ! -f "$deps/.done" ]; then
    rm -rf "$deps" "$deps.venv"
    python3 -m venv "$deps.venv"
    "$deps.venv/bin/pip" install -q --target "$deps" testcontainers==4.14.2
    touch "$deps/.done"
  fi
fi

"$here/start-docker.sh"
