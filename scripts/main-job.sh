#!/usr/bin/env bash
# README's main job from a bare machine: set-up (Rust checked; Debian's docker.io installed and
# dockerd started when no engine answers), the default template built once from Debian's
# packages (later runs find it up to date), then the quick start: a sandbox on this directory,
# the same-path mount shown, a command run inside.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Only what the main job runs on; scripts/test.sh builds the rest.
DOCKSANDBOX_TEMPLATES="${DOCKSANDBOX_TEMPLATES:-base}" scripts/build-images.sh
cargo build -p docksandbox-examples --example quickstart   # progress while it compiles
exec cargo run --quiet -p docksandbox-examples --example quickstart
