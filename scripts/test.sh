#!/usr/bin/env bash
# Runs every test of docksandbox against the real Docker engine DOCKER_HOST (or the default
# socket) points at: does its own set-up first (scripts/setup.sh --all: Python, Node and the
# Docker engine installed or started when missing), builds the test images if missing, checks formatting and lints, runs the
# Rust unit, property, doc and integration tests, and the quick-start example as a smoke test.
# The Python and Node packages add their tests here when they exist.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each section's wall time, printed when the next one starts (the budget is 45 minutes).
section_name=""; section_start=$SECONDS
section() {
  [ -z "$section_name" ] || echo "-- $section_name: $((SECONDS - section_start)) s"
  section_name="$1"; section_start=$SECONDS
  [ -z "$1" ] || echo "== $1"
}

section "set-up (toolchains, the Docker engine: installed or started when missing)"
scripts/setup.sh --all

section "images"
scripts/build-images.sh

section "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
# The core's docs: every public item documented (missing_docs is denied), no broken links.
RUSTDOCFLAGS="-D warnings -D rustdoc::broken_intra_doc_links" cargo doc -p docksandbox --no-deps --quiet

section "Rust tests (unit, properties, doc, integration against the engine)"
export CI="${CI:-true}"   # tests fail instead of skipping when the engine is missing
. sandbox-ffi/env.sh      # kotlinc, JNA and kotlinx-coroutines for the FFI bindings' tests
status=0
log=$(mktemp)
if ! cargo test --workspace --exclude docksandbox-py --exclude docksandbox-node --no-fail-fast 2>&1 | tee "$log"; then status=1; fi

section "fuzz the spec parser and validator and the scoped-docker proxy briefly (the long runs: fuzz/README.md)"
# libFuzzer needs nightly flags: RUSTC_BOOTSTRAP=1 allows them on the stable toolchain.
fuzzlog=$(mktemp)
if ! cargo fuzz --help >/dev/null 2>&1; then
  echo "installing cargo-fuzz from crates.io"
  cargo install cargo-fuzz --locked --quiet || status=1
fi
fuzz_target_dir="${CARGO_TARGET_DIR:-$PWD/target}/fuzz"
for target in spec engine_api; do
  # --dev without debug info: builds in about half the time of the optimized build, which
  # matters more for a 20-second smoke run than executions per second (fuzz/README.md's long
  # runs use the optimized build).
  if (cd fuzz && CARGO_PROFILE_DEV_DEBUG=0 RUSTC_BOOTSTRAP=1 cargo fuzz run -s none --dev --target-dir "$fuzz_target_dir" "$target" \
        -- -max_len=512 -max_total_time="${DOCKSANDBOX_FUZZ_SECONDS:-20}" -print_final_stats=1) >"$fuzzlog" 2>&1; then
    echo "fuzz $target: $(grep -E '^stat::number_of_executed_units' "$fuzzlog" | awk '{print $2}') executions, no finding"
    echo "test result: ok. 1 passed; 0 failed; (fuzz $target)" >>"$log"
  else
    tail -40 "$fuzzlog" >&2
    echo "fuzz $target: FAILED (a finding is saved under fuzz/artifacts/$target/)" >&2
    echo "test result: FAILED. 0 passed; 1 failed; (fuzz $target)" >>"$log"
    status=1
  fi
done
rm -f "$fuzzlog"
# DOCKSANDBOX_SPARE_DISK=1 (.ci/run sets it): drop each build tree once its suite is done.
spare_disk() { [ "${DOCKSANDBOX_SPARE_DISK:-0}" = 1 ] && rm -rf "$@" || true; }
spare_disk "$fuzz_target_dir"

section "main job (README's first command: scripts/main-job.sh, the quick start on this directory)"
scripts/main-job.sh || status=$?
# Removed through the CLI, so that its egress proxy and network go with it.
for main_job in $(docker ps -a --filter "label=docksandbox.workspace=$(pwd -P)" --filter label=docksandbox.agent=shell --format '{{.Names}}'); do
  "${CARGO_TARGET_DIR:-$PWD/target}/debug/docksandbox" rm -f "$main_job" >/dev/null 2>&1 || docker rm -f "$main_job" >/dev/null
done

pylog=$(mktemp); nodelog=$(mktemp)
if [ -f sandbox-py/pyproject.toml ] && [ -x sandbox-py/test.sh ]; then
  section "Python package"
  if ! sandbox-py/test.sh 2>&1 | tee "$pylog"; then status=1; fi
fi
if [ -f sandbox-node/package.json ] && [ -x sandbox-node/test.sh ]; then
  section "Node package"
  if ! sandbox-node/test.sh 2>&1 | tee "$nodelog"; then status=1; fi
  spare_disk "${CARGO_TARGET_DIR:-$PWD/target}/x86_64-unknown-linux-gnu"   # napi's own --target tree
fi

section "README snippets and examples (scripts/run-snippets.sh)"
if ! scripts/run-snippets.sh 2>&1 | tee -a "$log"; then status=1; fi

section "benchmark smoke test (quick mode, so the benchmark cannot rot)"
if py=$(bench/setup-peers.sh); then
  DOCKSANDBOX_BENCH_PYTHON="$py" cargo run --quiet -p docksandbox-bench -- --quick || status=$?
else
  echo "benchmark peers could not be installed" >&2; status=1
fi

section ""
echo "total: $SECONDS s"
# Tests remove their containers; this catches any left by a crashed test run.
leftover=$(docker ps -aq --filter label=dev.docksandbox.test-run)
[ -z "$leftover" ] || docker rm -f $leftover >/dev/null
# One closing line for every runner above: cargo (a result line per test binary), pytest
# ("N passed, M failed in T s") and node --test ("# pass N", "# fail M").
set +e +o pipefail   # a runner that printed no such line counts 0
sum() { awk '{s+=$1} END {print s+0}'; }
passed=$(( $(grep -oE 'test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | awk '{print $4}' | sum) \
  + $(grep -E ' in [0-9.]+s' "$pylog" | grep -oE '[0-9]+ passed' | sum) \
  + $(grep -E '^# pass [0-9]+' "$nodelog" | awk '{print $3}' | sum) ))
failed=$(( $(grep -oE '[0-9]+ failed;' "$log" | sum) \
  + $(grep -E ' in [0-9.]+s' "$pylog" | grep -oE '[0-9]+ (failed|error)' | sum) \
  + $(grep -E '^# fail [0-9]+' "$nodelog" | awk '{print $3}' | sum) ))
rm -f "$log" "$pylog" "$nodelog"
[ "$status" = 0 ] || [ "$failed" != 0 ] || failed=1
echo "summary: $passed passed, $failed failed"
exit $status
