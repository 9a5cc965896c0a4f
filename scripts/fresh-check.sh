#!/usr/bin/env bash
# By hand, not in CI: README's two commands from a clean machine state, timed. Stops the Docker
# engine (dockerd and containerd), removes docksandbox's images (docksandbox/*), the project's
# venvs and node_modules, then runs scripts/main-job.sh twice (the second run finds the
# template built) and scripts/test.sh, and prints the three times. Run it from a fresh clone
# (git clone … && cd … && scripts/fresh-check.sh); it needs root to stop and start the engine.
set -uo pipefail
cd "$(dirname "$0")/.."

if docker info >/dev/null 2>&1; then
  echo "== removing docksandbox's sandboxes and images"
  ids=$(docker ps -aq --filter label=docksandbox.version)
  [ -z "$ids" ] || docker rm -f $ids >/dev/null
  imgs=$(docker images --format '{{.Repository}}:{{.Tag}}' | grep '^docksandbox/' || true)
  [ -z "$imgs" ] || docker rmi -f $imgs >/dev/null
  docker image prune -f >/dev/null
fi
echo "== stopping the engine"
pkill -x dockerd; pkill -x containerd
for _ in $(seq 1 50); do pgrep -x dockerd >/dev/null || break; sleep 0.2; done
pgrep -x dockerd >/dev/null && { pkill -9 -x dockerd; pkill -9 -x containerd; }
rm -f /var/run/docker.pid
echo "== removing venvs and node_modules"
rm -rf sandbox-py/.venv bench/.venv sandbox-node/node_modules bench/peers/node_modules

echo "== main job (first run)"
s=$(date +%s); scripts/main-job.sh; main1=$?; d1=$(( $(date +%s) - s ))
echo "== main job (second run)"
s=$(date +%s%N); scripts/main-job.sh; main2=$?; d2=$(( ($(date +%s%N) - s) / 1000000 ))
echo "== test command"
s=$(date +%s); scripts/test.sh; tests=$?; d3=$(( $(date +%s) - s ))
echo
echo "fresh-check: main job first run ${d1}s (exit $main1), second run ${d2} ms (exit $main2), test command ${d3}s (exit $tests)"
[ "$main1" = 0 ] && [ "$main2" = 0 ] && [ "$tests" = 0 ]
