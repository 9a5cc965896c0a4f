#!/usr/bin/env bash
# Installs the benchmark's peers: docker-py (PyPI `docker`) in bench/.venv and dockerode (npm)
# in bench/peers/node_modules. Idempotent. Prints the python to use.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "$here/.venv/bin/python" ]; then
  python3 -m venv "$here/.venv" >&2
fi
"$here/.venv/bin/python" -c 'import docker' 2>/dev/null \
  || "$here/.venv/bin/pip" install --quiet 'docker>=7' >&2
if [ ! -d "$here/peers/node_modules/dockerode" ]; then
  (cd "$here/peers" && npm ci --no-audit --no-fund --silent >&2)
fi
echo "$here/.venv/bin/python"
