"""Shared fixtures: every sandbox a test makes carries the label
``dev.docksandbox.test-run=<this run's id>`` and lives on a workspace under this session's
temporary directory; each is removed by its fixture, and a sweep at the end removes any left
(also when tests failed). Without an engine the tests fail when CI=true, else they skip."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

import docksandbox

IMAGE = "docksandbox/busybox:test"
LABEL = "dev.docksandbox.test-run"
RUN_ID = os.environ.get("DOCKSANDBOX_TEST_RUN") or f"py-{uuid.uuid4().hex[:12]}"
LABELS = {LABEL: RUN_ID}


def run(workspace: Path | str, **kw: Any) -> docksandbox.Sandbox:
    """docksandbox.run with the test template, the shell agent and this run's label."""
    kw.setdefault("agent", "shell")
    kw.setdefault("template", IMAGE)
    kw.setdefault("network", "none")
    kw["labels"] = {**LABELS, **kw.get("labels", {})}
    return docksandbox.run(workspace, **kw)


def aio_kwargs(**kw: Any) -> dict[str, Any]:
    kw.setdefault("agent", "shell")
    kw.setdefault("template", IMAGE)
    kw.setdefault("network", "none")
    kw["labels"] = {**LABELS, **kw.get("labels", {})}
    return kw


def python(script: str, *args: str, env: dict[str, str] | None = None,
           timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Runs a Python script in a fresh interpreter (the labels reach it as DOCKSANDBOX_TEST_RUN)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "DOCKSANDBOX_TEST_RUN": RUN_ID, **(env or {})},
    )


@pytest.fixture(scope="session")
def base_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    try:
        docksandbox.list()
    except docksandbox.DockerUnavailableError as e:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"no Docker engine (CI=true, so this fails instead of skipping): {e}")
        pytest.skip(f"no Docker engine: {e}")
    base = tmp_path_factory.mktemp("ws").resolve()
    yield base
    sweep(base)


def sweep(base: Path) -> None:
    """Removes every sandbox of this run (label checked) whose workspace is under ``base``."""
    for sb in docksandbox.list():
        if not sb.workspace.startswith(str(base)):
            continue
        try:
            if sb.inspect().get("labels", {}).get(LABEL) == RUN_ID:
                sb.remove()
        except docksandbox.SandboxNotFoundError:
            pass


@pytest.fixture
def workspace(base_dir: Path, request: pytest.FixtureRequest) -> Path:
    d = base_dir / request.node.name[:40].replace("[", "-").replace("]", "")
    d.mkdir()
    return d


@pytest.fixture
def sb(workspace: Path) -> Iterator[docksandbox.Sandbox]:
    s = run(workspace)
    try:
        yield s
    finally:
        try:
            s.remove()
        except docksandbox.SandboxNotFoundError:
            pass
