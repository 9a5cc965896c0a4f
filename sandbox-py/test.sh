#!/usr/bin/env bash
# Builds and installs the Python package the way users do (`pip install ./sandbox-py`, maturin
# as the PEP 517 backend) into a fresh virtualenv, then runs its pytest suite against the real
# Docker engine (DOCKER_HOST or the default socket). Exits with pytest's code.
#
#   sandbox-py/test.sh                  # PYTHON=python3.12 to pick the interpreter
#   sandbox-py/test.sh -k stream        # extra arguments go to pytest
#
# With CI=true (the default here, as in scripts/test.sh) tests fail instead of skipping when no
# engine answers. Every container a test makes is labelled dev.docksandbox.test-run=<id> and
# removed at the end.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
export CI="${CI:-true}"
python="${PYTHON:-python3}"
venv="${DOCKSANDBOX_PY_VENV:-$here/.venv}"

echo "== venv $venv ($("$python" --version))"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
# mcp: the MCP client the `docksandbox mcp` tests drive (tests/test_mcp.py); the agent
# frameworks docksandbox.integrations adapts to, pinned (tests/test_integration_*.py).
"$venv/bin/python" -m pip install --quiet "pytest>=8" "mypy>=1.10" "mcp>=1.20,<2" \
  "deepagents==0.7.32" "pydantic-ai-slim==2.78.0" "autogen-agentchat==0.7.5" "autogen-core==0.7.5" \
  "openai-agents==0.25.0"

echo "== pip install ./sandbox-py (maturin builds the native module)"
# The dev profile, sharing the Rust tests' compiled dependencies: a release build with LTO
# costs about 8 of CI's 45 minutes, and these tests check behaviour, not speed
# (DOCKSANDBOX_PY_PROFILE=release builds what users get).
MATURIN_PEP517_ARGS="--profile ${DOCKSANDBOX_PY_PROFILE:-dev}" \
  "$venv/bin/python" -m pip install --force-reinstall --no-deps ./

echo "== pytest"
status=0
# From tests/ (not the source tree) so the installed package is what runs.
(cd tests && "$venv/bin/python" -m pytest -c ../pyproject.toml --rootdir=.. "$@") || status=$?
exit $status
