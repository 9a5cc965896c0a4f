#!/usr/bin/env bash
# The Node package's tests, from a fresh clone: installs the dev dependencies (npm ci, from the
# committed package-lock.json), builds the native addon with napi-rs (debug profile: the tests
# check behaviour, not speed), checks that the committed index.d.ts is what the Rust code
# generates, and runs `npm test` (node --test) against the Docker engine DOCKER_HOST (or the
# default socket) points at. With CI=true the tests fail when no engine answers; otherwise
# they skip with a message. Exits with the tests' status.
set -euo pipefail
cd "$(dirname "$0")"

for tool in node npm cargo; do
  command -v "$tool" >/dev/null || { echo "error: $tool is required (Node >= 18, npm, Rust)" >&2; exit 1; }
done

echo "-- npm ci"
npm ci --no-audit --no-fund

echo "-- build the addon"
committed=$(mktemp)
trap 'rm -f "$committed"' EXIT
cp index.d.ts "$committed"
npm run --silent build:debug
if ! diff -u "$committed" index.d.ts; then
  echo "error: index.d.ts is stale: the build regenerated it from the Rust code (diff above); commit it" >&2
  exit 1
fi

echo "-- npm test"
npm test
