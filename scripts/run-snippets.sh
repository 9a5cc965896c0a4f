#!/usr/bin/env bash
# Every code block of README.md and every program under examples/, run against the engine
# (called by scripts/test.sh once the Python venv and the Node addon are built):
#   - README's ```rust block must be examples/readme.rs byte for byte; that example is run;
#   - its ```python, ```js and ```kotlin blocks are run as written (Kotlin against the FFI
#     bindings bench/setup-ffi-kotlin.sh builds), in a fresh git workspace, with the
#     package installed from this tree (the venv of sandbox-py/test.sh, sandbox-node's build);
#   - its ```sh blocks are run unless their fence says `sh reference` (command references
#     with placeholders such as SANDBOX) or they are the two commands themselves;
#   - examples/*.rs, examples/python/*.py and examples/node/*.js are run.
# Sandboxes the snippets make are removed at the end. Prints a `test result:` line for the
# summary of scripts/test.sh.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="${DOCKSANDBOX_PY_VENV:-$root/sandbox-py/.venv}"
work=$(mktemp -d)
ws="$work/project"
mkdir -p "$ws" "$work/node_modules"
git -C "$ws" init -q && echo "hello" >"$ws/README" && git -C "$ws" add README
ln -s "$root/sandbox-node" "$work/node_modules/docksandbox"
export PATH="$root/target/debug:$PATH"   # the CLI the sh blocks call
cargo build --quiet -p docksandbox-cli
passed=0; failed=0
check() { # check NAME COMMAND...: runs it in the workspace, counts the outcome
  local name=$1; shift
  if (cd "$ws" && "$@") >"$work/out" 2>&1; then
    passed=$((passed + 1)); echo "ok: $name"
  else
    failed=$((failed + 1)); echo "FAILED: $name"; tail -20 "$work/out" | sed 's/^/  | /'
  fi
}

# The blocks of README.md, one file each: NN.LANG (and NN.info for the fence's words).
awk -v dir="$work" '
  /^```/ { if (inb) { inb = 0; close(f) } else { inb = 1; n++; split(substr($0, 4), w, " ");
           lang = w[1]; f = sprintf("%s/%02d.%s", dir, n, lang); printf "" > f;
           print substr($0, 4) > sprintf("%s/%02d.info", dir, n) } next }
  inb { print >> f }' "$root/README.md"

for f in "$work"/*.rust; do
  check "README rust block is examples/readme.rs" cmp -s "$f" "$root/examples/readme.rs"
done
check "README rust block (examples/readme.rs)" cargo run --quiet --manifest-path "$root/Cargo.toml" -p docksandbox-examples --example readme
for f in "$work"/*.python; do
  check "README python block $(basename "$f")" "$venv/bin/python" "$f"
done
for f in "$work"/*.js; do
  cp "$f" "$work/snippet.js"
  check "README js block $(basename "$f")" node "$work/snippet.js"
done
if ls "$work"/*.kotlin >/dev/null 2>&1; then
  # The Kotlin blocks against the FFI bindings the benchmark's Kotlin peer is built with.
  if ffi=$("$root/bench/setup-ffi-kotlin.sh" debug); then
    . "$root/sandbox-ffi/env.sh"
    for f in "$work"/*.kotlin; do
      cp "$f" "$work/snippet.kts"
      check "README kotlin block $(basename "$f")" kotlinc -nowarn -cp "${ffi%%$'\t'*}" \
        -J-Djna.library.path="${ffi##*$'\t'}" -script "$work/snippet.kts"
    done
  else
    failed=$((failed + 1)); echo "FAILED: the Kotlin bindings could not be built for README's kotlin blocks"
  fi
fi
for f in "$work"/*.sh; do
  info=$(cat "${f%.sh}.info")
  case "$info" in *reference*) continue ;; esac
  grep -q 'scripts/\(test\|main-job\)\.sh' "$f" && continue   # the two commands: CI runs them
  check "README sh block $(basename "$f")" bash -euo pipefail "$f"
done

for ex in "$root"/examples/*.rs; do
  name=$(basename "$ex" .rs)
  case "$name" in readme) continue ;; esac
  check "example $name" cargo run --quiet --manifest-path "$root/Cargo.toml" -p docksandbox-examples --example "$name"
done
for ex in "$root"/examples/python/*.py; do
  check "example python/$(basename "$ex")" "$venv/bin/python" "$ex"
done
for ex in "$root"/examples/node/*.js; do
  check "example node/$(basename "$ex")" node "$ex"
done

# What the snippets left: the sandboxes of the workspace.
ids=$(docker ps -aq --filter "label=docksandbox.workspace=$(cd "$ws" && pwd -P)")
[ -z "$ids" ] || "$root/target/debug/docksandbox" rm $ids >/dev/null
rm -rf "$work"
echo "test result: $([ $failed = 0 ] && echo ok || echo FAILED). $passed passed; $failed failed; (README snippets and examples)"
[ $failed = 0 ]
