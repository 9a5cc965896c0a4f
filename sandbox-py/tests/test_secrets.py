"""``secrets=``, ``secret_files=`` and ``secret_mode=`` against the real engine, sync and asyncio:
the sandbox holds a placeholder, never the value, and bad input is refused before anything is
made. Nothing here needs the internet (no request leaves the sandbox)."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

import docksandbox
from conftest import aio_kwargs, run
from docksandbox import aio

VAR = "DS_PY_TEST_KEY"
HOST = "api.example.test"


@pytest.fixture
def value(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A unique value in the host variable ``VAR`` (the core reads it from this process)."""
    v = f"sk-py-REAL-{uuid.uuid4().hex}"
    monkeypatch.setenv(VAR, v)
    yield v


def printenv(sb: docksandbox.Sandbox, name: str) -> str:
    """The sandbox's variable ``name`` (busybox has no printenv applet: the shell's view)."""
    r = sb.exec(["sh", "-c", f'printf %s "${{{name}?unset}}"'])
    assert r.exit_code == 0, (r.stdout, r.stderr)
    return r.stdout


def docker_inspect(*names: str) -> str:
    """``docker inspect`` of these containers, as the engine shows them to anyone."""
    p = subprocess.run(
        ["docker", "inspect", *names], capture_output=True, text=True, timeout=60
    )
    assert p.returncode == 0, p.stderr
    return p.stdout


def containers_named(*names: str) -> list[str]:
    """The containers (any state) with exactly these names."""
    found = []
    for n in names:
        p = subprocess.run(
            ["docker", "ps", "-a", "-q", "--filter", f"name=^/{n}$"],
            capture_output=True, text=True, timeout=60,
        )
        assert p.returncode == 0, p.stderr
        found += p.stdout.split()
    return found


def test_the_sandbox_holds_a_placeholder_not_the_value(workspace: Path, value: str) -> None:
    sb = run(workspace, network="proxy", secrets={VAR: [HOST]})
    try:
        ph = printenv(sb, VAR)
        assert ph.startswith(f"docksandbox-secret:{VAR}:"), ph
        assert value not in ph
        # Stable for the sandbox's life: a reuse with the same settings keeps it.
        again = run(workspace, network="proxy", secrets={VAR: [HOST]})
        assert again == sb and printenv(again, VAR) == ph
        spec = sb.inspect()["spec"]
        assert [(s["name"], s["hosts"]) for s in spec["secrets"]] == [(VAR, [HOST])]
        assert value not in str(sb.inspect())
        shown = docker_inspect(sb.name, f"{sb.name}-proxy")
        assert ph in shown  # the sandbox's env is shown there: the right containers
        assert value not in shown
    finally:
        sb.remove()


def test_secret_files_and_env_mode(workspace: Path, tmp_path: Path) -> None:
    key = tmp_path / "key"
    file_value = f"file-REAL-{uuid.uuid4().hex}"
    key.write_text(file_value + "\n")
    # A name in both: the value from the file, the hosts from `secrets`.
    sb = run(workspace, network="proxy", secrets={"DS_PY_FILE_KEY": [HOST]},
             secret_files={"DS_PY_FILE_KEY": key})
    try:
        ph = printenv(sb, "DS_PY_FILE_KEY")
        assert ph.startswith("docksandbox-secret:DS_PY_FILE_KEY:"), ph
        assert file_value not in docker_inspect(sb.name, f"{sb.name}-proxy")
    finally:
        sb.remove()
    # env mode: no hosts needed (nor a proxy). The core gives the value to the agent's own
    # process only (when it launches the agent): not in the container, not to exec.
    sb = run(workspace, secret_files={"DS_PY_FILE_KEY": str(key)}, secret_mode="env")
    try:
        (sec,) = sb.inspect()["spec"]["secrets"]
        assert (sec["name"], sec["source"], sec["mode"]) == (
            "DS_PY_FILE_KEY", {"file": str(key)}, "env"
        )
        assert "placeholder" not in sec
        assert sb.exec(["sh", "-c", "echo ${DS_PY_FILE_KEY-unset}"]).stdout == "unset\n"
        assert file_value not in docker_inspect(sb.name)
    finally:
        sb.remove()


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"secrets": {"DS_PY_TEST_UNSET": [HOST]}}, "DS_PY_TEST_UNSET"),
        ({"secrets": {VAR: ["10.0.0.1"]}}, "10.0.0.1"),
        ({"secrets": {VAR: [HOST]}, "secret_mode": "bogus"}, "bogus"),
        ({"secrets": {VAR: [HOST]}, "network": "bridge"}, "network proxy"),
        ({"secrets": {VAR: []}}, "goes nowhere"),
        ({"secret_files": {VAR: "/nonexistent/key"}, "secret_mode": "env"}, "/nonexistent/key"),
    ],
    ids=["unset-variable", "address-host", "bad-mode", "bridge-network", "no-hosts", "no-file"],
)
def test_bad_input_refused(
    workspace: Path, value: str, monkeypatch: pytest.MonkeyPatch, kw: dict[str, Any], match: str
) -> None:
    monkeypatch.delenv("DS_PY_TEST_UNSET", raising=False)
    name = f"ds-py-secret-{uuid.uuid4().hex[:10]}"
    kw.setdefault("network", "proxy")
    with pytest.raises(docksandbox.InvalidSpecError, match=match) as e:
        run(workspace, name=name, **kw)
    assert value not in str(e.value)
    assert containers_named(name, f"{name}-proxy") == []
    assert all(s.workspace != str(workspace) for s in docksandbox.list())


def test_asyncio_run_with_secrets(workspace: Path, value: str) -> None:
    async def main() -> None:
        sb = await aio.run(workspace, **aio_kwargs(network="proxy", secrets={VAR: [HOST]}))
        try:
            r = await sb.exec(["sh", "-c", f'printf %s "${VAR}"'])
            ph = r.stdout
            assert ph.startswith(f"docksandbox-secret:{VAR}:"), (r.stdout, r.stderr)
            assert value not in ph
            assert value not in docker_inspect(sb.name)
        finally:
            await sb.remove()

    asyncio.run(main())
