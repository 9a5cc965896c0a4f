#!/usr/bin/env bash
# By hand, not in CI (four release builds, ~15 min on 2 cores): each package as a user gets
# it, used outside the source tree against the engine.
#   1. `cargo install --path sandbox-cli`: the CLI, with the exec helper and the egress proxy
#      inside (a sandbox on the default `proxy` network runs a command);
#   2. `cargo package` of the core and the two crates it embeds (the crates can be published;
#      cargo verifies that the packaged core builds, helpers included);
#   3. the Python wheel from `maturin build --release`, installed into a fresh venv and
#      imported from an empty directory;
#   4. the npm tarball from `npm pack`, installed into an empty directory and required there.
# Needs the images of scripts/build-images.sh. Prints one line per check and fails if one did.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
img=docksandbox/busybox:test
failed=0
step() { # step NAME COMMAND...
  local name=$1; shift
  echo "== $name"
  if "$@" >"$tmp/log" 2>&1; then echo "ok: $name"; else failed=$((failed + 1)); echo "FAILED: $name"; tail -30 "$tmp/log"; fi
  clean
}
clean() { # the sandboxes a step made on the workspace
  local ids
  ids=$(docker ps -aq --filter "label=docksandbox.workspace=$(cd "$tmp/ws" && pwd -P)")
  [ -z "$ids" ] || "$root/target/debug/docksandbox" rm $ids >/dev/null   # with their proxies
}
mkdir -p "$tmp/ws"

cli() {
  cargo install --quiet --path "$root/sandbox-cli" --root "$tmp/cargo" --target-dir "$root/target/package-check" &&
  out=$(cd "$tmp/ws" && "$tmp/cargo/bin/docksandbox" run -q -t "$img" shell -c 'echo installed-cli') &&
  [ "$out" = installed-cli ]
}
step "cargo install --path sandbox-cli (default proxy network, exec helper inside)" cli

step "cargo package (docksandbox-execd, docksandbox-proxy, docksandbox)" \
  cargo package --quiet --manifest-path "$root/Cargo.toml" -p docksandbox-execd -p docksandbox-proxy -p docksandbox --allow-dirty

wheel() {
  python3 -m venv "$tmp/build-venv" && "$tmp/build-venv/bin/pip" install --quiet maturin &&
  (cd "$root/sandbox-py" && "$tmp/build-venv/bin/maturin" build --release --quiet -o "$tmp/wheels") &&
  python3 -m venv "$tmp/venv" && "$tmp/venv/bin/pip" install --quiet "$tmp"/wheels/*.whl &&
  out=$(cd "$tmp" && "$tmp/venv/bin/python" -c "
import docksandbox
sb = docksandbox.run('$tmp/ws', agent='shell', template='$img', network='none')
print(sb.exec(['echo', 'wheel-ok']).stdout.strip())
sb.remove()") && [ "$out" = wheel-ok ]
}
step "maturin build --release: the wheel in a fresh venv" wheel

npm_pack() {
  (cd "$root/sandbox-node" && npm ci --no-audit --no-fund --silent && npm run --silent build && npm pack --silent --pack-destination "$tmp") &&
  mkdir -p "$tmp/app" && (cd "$tmp/app" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent "$tmp"/docksandbox-*.tgz) &&
  out=$(cd "$tmp/app" && node -e "
const ds = require('docksandbox');
(async () => {
  const sb = await ds.run({ workspace: '$tmp/ws', agent: 'shell', template: '$img', network: 'none' });
  console.log((await sb.exec(['echo', 'npm-ok'])).stdout.trim());
  await sb.remove();
})().catch((e) => { console.error(e); process.exit(1); });") && [ "$out" = npm-ok ]
}
step "npm pack: the tarball in an empty directory" npm_pack

echo "package-check: $failed failed"
[ "$failed" = 0 ]
